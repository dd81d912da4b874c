-- wrk script: the original distribution's GET /instance-<id>.log?x-instance-id=<id>, with the
-- regional S3 bucket's Host header, cycling through many valid IDs.
--   wrk -t2 -c32 -d10s --latency -s benchmarks/wrk/ping_get.lua URL -- COUNT OFFSET THREADS
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
        local id = ids.instance_id(n)
        return wrk.format("GET", "/instance-" .. id .. ".log?x-instance-id=" .. id, {
            ["Host"] = ids.host(ids.region(n)),
            ["User-Agent"] = "python-requests/2.31.0",
        })
    end)
    next_request = 0
end

function request()
    next_request = next_request % #requests + 1
    return requests[next_request]
end
