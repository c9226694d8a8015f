package main

import (
	"context"
	"sync"

	"github.com/oidcrp/rp/connection"
)

// notifyStore is a connection.Store that tells the Site of this process
// about its own saves and deletes before they return (connection.Watcher),
// so that a connection saved on the admin page is on the sign-in page at
// the next request. Saves by other processes sharing the database are
// still seen by polling (web.Connections.PollInterval).
type notifyStore struct {
	connection.Store

	mu       sync.Mutex
	watchers map[*storeWatch]bool
}

// storeWatch is one running Watch.
type storeWatch struct {
	tell chan chan struct{} // a change: call changed, then close the channel sent
	done chan struct{}      // closed when Watch returns
}

var _ connection.Watcher = (*notifyStore)(nil)

// newNotifyStore wraps s.
func newNotifyStore(s connection.Store) *notifyStore {
	return &notifyStore{Store: s, watchers: map[*storeWatch]bool{}}
}

// Put saves s (connection.Store.Put) and, when it worked, waits until
// every Watch has called its changed function.
func (n *notifyStore) Put(ctx context.Context, s connection.Settings, by string) (connection.Settings, error) {
	out, err := n.Store.Put(ctx, s, by)
	if err == nil {
		n.notify()
	}
	return out, err
}

// Delete deletes the connection (connection.Store.Delete) and, when it
// worked, waits until every Watch has called its changed function.
func (n *notifyStore) Delete(ctx context.Context, name string, version int64) error {
	err := n.Store.Delete(ctx, name, version)
	if err == nil {
		n.notify()
	}
	return err
}

// Watch implements connection.Watcher: it calls changed once at once,
// then after every Put and Delete through n, until ctx ends.
func (n *notifyStore) Watch(ctx context.Context, changed func()) error {
	w := &storeWatch{tell: make(chan chan struct{}), done: make(chan struct{})}
	n.mu.Lock()
	n.watchers[w] = true
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		delete(n.watchers, w)
		n.mu.Unlock()
		close(w.done)
	}()
	changed()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ack := <-w.tell:
			changed()
			close(ack)
		}
	}
}

// notify has every running Watch call its changed function, and returns
// when they all did (or stopped).
func (n *notifyStore) notify() {
	n.mu.Lock()
	ws := make([]*storeWatch, 0, len(n.watchers))
	for w := range n.watchers {
		ws = append(ws, w)
	}
	n.mu.Unlock()
	for _, w := range ws {
		ack := make(chan struct{})
		select {
		case w.tell <- ack:
			<-ack
		case <-w.done:
		}
	}
}
