-- wrk script for bench/load.py: every thread has one connection and one MLflow run, and logs one
-- metric value per request with an increasing step, so each response belongs to a known step.
-- Acknowledged steps (HTTP 200), the second each was acknowledged in, and error counts per status go
-- to the file load.py reads back.
local config = dofile(os.getenv("LOAD_CONFIG"))
local threads = {}
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("index", counter)
   table.insert(threads, thread)
end

function init(args)
   run_id = config.runs[index]
   step = 0
   current = 0
   acked = {}
   acked_at = {}
   statuses = {}
end

function request()
   step = step + 1
   current = step
   local body = string.format(
      '{"run_id":"%s","metrics":[{"key":"load","value":%d,"timestamp":%d,"step":%d}]}',
      run_id, step, config.epoch_ms + step, step)
   return wrk.format("POST", "/api/2.0/mlflow/runs/log-batch",
      {["Content-Type"] = "application/json", ["Authorization"] = config.authorization}, body)
end

function response(status, headers, body)
   if status == 200 then
      acked[#acked + 1] = current
      acked_at[#acked_at + 1] = os.time()
   else
      statuses[tostring(status)] = (statuses[tostring(status)] or 0) + 1
   end
end

function done(summary, latency, requests)
   local out = assert(io.open(config.output, "w"))
   out:write("{\"threads\": [")
   for i, thread in ipairs(threads) do
      local acks = thread:get("acked")
      local times = thread:get("acked_at")
      local codes = thread:get("statuses")
      out:write(i > 1 and "," or "", "{\"run_id\": \"", thread:get("run_id"), "\", \"acked\": [",
         table.concat(acks, ","), "], \"acked_at\": [", table.concat(times, ","), "], \"statuses\": {")
      local first = true
      for code, n in pairs(codes) do
         out:write(first and "" or ",", "\"", code, "\": ", n)
         first = false
      end
      out:write("}}")
   end
   out:write(string.format(
      "], \"requests\": %d, \"duration_us\": %d, \"p50_us\": %d, \"p99_us\": %d, \"max_us\": %d, " ..
      "\"connect\": %d, \"read\": %d, \"write\": %d, \"timeout\": %d}",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
      summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
   out:close()
end
