module github.com/oidcrp/rp/integration/multi

go 1.26.0

require (
	github.com/oidcrp/rp v0.0.0
	github.com/oidcrp/rp/session/redisstore v0.0.0
	github.com/redis/go-redis/v9 v9.23.0
)

replace (
	github.com/oidcrp/rp => ../..
	github.com/oidcrp/rp/session/redisstore => ../../session/redisstore
)
