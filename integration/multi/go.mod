module github.com/oidcrp/rp/integration/multi

go 1.26.0

require (
	github.com/oidcrp/rp v0.0.0
	github.com/oidcrp/rp/session/redisstore v0.0.0
	github.com/redis/go-redis/v9 v9.23.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/go-jose/go-jose/v4 v4.1.9 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/oauth2 v0.38.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)

replace (
	github.com/oidcrp/rp => ../..
	github.com/oidcrp/rp/session/redisstore => ../../session/redisstore
)
