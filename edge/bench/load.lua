-- wrk script for `npm run bench:edge`: POSTs pre-generated score requests (one JSON body per line,
-- "__TX__" standing for the transaction id) with a fresh transaction id per request, so no request
-- is an idempotent replay. Each wrk thread starts at its own offset in the file.
-- Args: <bodies file> <bearer token> [path]. A batch body holds "__TX__" once per item, each
-- followed by its index ("__TX__-7"), so one fresh prefix makes every item's id fresh.
-- done() prints one JSON line for the runner.

local bodies = {}
local pos = 0
local seq = 0
local tid = 0
local headers = {}
local path = "/v1/transactions/score"

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local file, token = args[1], args[2]
  if args[3] then path = args[3] end
  for line in io.lines(file) do
    local parts = {}
    local from = 1
    while true do
      local a, b = line:find("__TX__", from, true)
      if not a then break end
      parts[#parts + 1] = line:sub(from, a - 1)
      from = b + 1
    end
    parts[#parts + 1] = line:sub(from)
    bodies[#bodies + 1] = parts
  end
  pos = math.floor(#bodies * tid / 8)
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. token
end

function request()
  pos = pos + 1
  if pos > #bodies then pos = 1 end
  seq = seq + 1
  local b = bodies[pos]
  local id = "b" .. tid .. "-" .. seq
  local body = b[1]
  for i = 2, #b do body = body .. id .. b[i] end
  return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
