-- bench/mixed's requests: list, search, me and download redirects in turn,
-- as one signed-in user; the summary adds p50/p95/p99 per wrk and the error
-- counts (connect/read/write/timeout, and answers other than 2xx/3xx).
local bucket = os.getenv("BENCH_BUCKET")
local token = os.getenv("BENCH_TOKEN")
local paths = {
    "/api/list?bucket=" .. bucket .. "&prefix=docs/&limit=100",
    "/api/search?bucket=" .. bucket .. "&q=file-0&limit=50",
    "/api/auth/me",
    "/api/download?bucket=" .. bucket .. "&key=docs/file-0%d.txt",
}
local n = 0

-- BENCH_THINK_MS: each connection waits a random 0 to 2 x this many ms
-- after every answer before its next request, as people using the console
-- do (mean: this value); 0 is a closed loop, each connection sending as soon
-- as it has its answer, which measures saturation.
local think = tonumber(os.getenv("BENCH_THINK_MS") or "0") or 0
if think > 0 then
    delay = function()
        return math.random(0, 2 * think)
    end
end

request = function()
    n = n + 1
    local p = paths[(n % #paths) + 1]
    if p:find("%%d") then
        p = string.format(p, n % 100)
    end
    return wrk.format("GET", p, { ["Authorization"] = "Bearer " .. token })
end

done = function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("p50 %.2f ms  p95 %.2f ms  p99 %.2f ms  max %.2f ms\n",
        latency:percentile(50) / 1000, latency:percentile(95) / 1000,
        latency:percentile(99) / 1000, latency.max / 1000))
    io.write(string.format("requests %d, errors: connect %d, read %d, write %d, timeout %d, status>=400 %d (%.3f %%)\n",
        summary.requests, e.connect, e.read, e.write, e.timeout, e.status,
        100 * (e.connect + e.read + e.write + e.timeout + e.status) / math.max(1, summary.requests)))
end
