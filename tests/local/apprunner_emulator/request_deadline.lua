-- App Runner's limit of one HTTP request (120 s, tests/local/apprunner_emulator/front_door.py renders
-- the nginx configuration that calls this): the time from the request's arrival to the response's
-- last byte, upload included. $apprunner_request_timeout holds the limit in seconds.
-- nginx's proxy_read_timeout answers a response that has not started within the limit (504); these
-- filters cover the rest: a response that starts after the deadline (the upload took part of the
-- time) is replaced by the same 504, and a response still streaming at the deadline is cut (the
-- client sees the connection close before the body's end).
local M = {}

local MESSAGE = "upstream request timeout"

local function past_deadline()
    local limit = tonumber(ngx.var.apprunner_request_timeout)
    if limit == nil then
        return false
    end
    ngx.update_time()
    return ngx.now() > ngx.req.start_time() + limit
end

function M.header_filter()
    if past_deadline() then
        ngx.ctx.timed_out = true
        ngx.log(ngx.WARN, "response started after the request deadline: 504")
        ngx.status = 504
        ngx.header["Content-Type"] = "text/plain"
        ngx.header["Content-Length"] = #MESSAGE
        ngx.header["Content-Encoding"] = nil
        ngx.header["Content-Disposition"] = nil
        ngx.header["Transfer-Encoding"] = nil
    end
end

function M.body_filter()
    if ngx.ctx.timed_out then
        if not ngx.ctx.said then
            ngx.ctx.said = true
            ngx.arg[1] = MESSAGE
            ngx.arg[2] = true
        else
            ngx.arg[1] = nil
        end
        return
    end
    if past_deadline() then
        ngx.log(ngx.WARN, "response still streaming at the request deadline: cut")
        return ngx.ERROR
    end
end

return M
