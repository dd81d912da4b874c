-- wrk script: POST /v1/pings with {"instance_id":…,"region":…}, cycling through many valid IDs.
--   wrk -t2 -c32 -d10s --latency -s benchmarks/wrk/ping_post.lua URL -- COUNT OFFSET THREADS
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local ids = require("ids")

local threads_seen = 0
function setup(thread)
    thread:set("thread_index", threads_seen)
    threads_seen = threads_seen + 1
end

local requests, next_request
function init(args)
    requests = ids.build(args, function(n)
        local body = '{"instance_id":"' .. ids.instance_id(n) .. '","region":"' .. ids.region(n) .. '"}'
        return wrk.format("POST", "/v1/pings", {
            ["Content-Type"] = "application/json",
            ["User-Agent"] = "usage-agent/0.1.0",
        }, body)
    end)
    next_request = 0
end

function request()
    next_request = next_request % #requests + 1
    return requests[next_request]
end
