-- Shared by the ingest scripts: instance IDs and regions for wrk's request() callbacks.
-- Script arguments (after `--`): COUNT OFFSET THREADS. Thread k of THREADS takes the IDs numbered
-- OFFSET + k, OFFSET + k + THREADS, ... below OFFSET + COUNT, so the threads never send the same ID,
-- and builds every request once in init(), so request() costs wrk nothing but a table lookup.
local M = {}

M.regions = {
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2", "eu-central-1",
    "eu-north-1", "ap-northeast-1", "ap-northeast-2", "ap-south-1", "ap-southeast-1",
    "ap-southeast-2", "ca-central-1", "sa-east-1", "cn-north-1", "us-gov-west-1",
}

-- `i-0` and 16 hex digits: a scrambled high half so IDs do not share long prefixes, then the number.
function M.instance_id(n)
    local high = (n * 2654435761) % 4294967296
    return string.format("i-0%08x%08x", high, n)
end

function M.region(n)
    return M.regions[(n % #M.regions) + 1]
end

function M.host(region)
    local suffix = region:sub(1, 3) == "cn-" and "amazonaws.com.cn" or "amazonaws.com"
    return "kubeflow-on-aws-usage-tracking-" .. region .. ".s3." .. region .. "." .. suffix
end

-- Builds this thread's requests with make(n) -> request string.
function M.build(args, make)
    local count = tonumber(args[1]) or 100000
    local offset = tonumber(args[2]) or 0
    local threads = tonumber(args[3]) or 1
    local requests = {}
    for n = offset + thread_index, offset + count - 1, threads do
        requests[#requests + 1] = make(n)
    end
    return requests
end

return M
