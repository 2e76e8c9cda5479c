-- API Gateway's request handling for the local HTTP APIs (tests/local/dataplane/gateway.py renders
-- the nginx configuration that calls it; gateway_routes.lua, generated, holds each API's routes).
-- Route selection as HTTP APIs do it, SigV4 on AWS_IAM routes (checked by the data plane's
-- sigv4 service through a subrequest), and the 10 MB response limit.
local routes = require("gateway_routes")

local M = {}

local MAX_RESPONSE = 10 * 1024 * 1024

local function reply(status, message)
    ngx.status = status
    ngx.header["Content-Type"] = "application/json"
    ngx.header["x-amzn-ErrorType"] = nil
    ngx.print('{"message":"' .. message .. '"}')
    return ngx.exit(status)
end

-- The most specific route wins: a full match, then a greedy path variable, then $default; a route
-- with the request's method before ANY (gateway.py has sorted each API's routes in that order).
local function select(api, method, path)
    for _, route in ipairs(api.routes) do
        if route.method == "ANY" or route.method == method then
            if route.regex == nil or ngx.re.find(path, route.regex, "jo") then
                return route
            end
        end
    end
    return nil
end

function M.access()
    local api = routes[ngx.var.gw_api]
    if api == nil or api.disabled then
        return reply(403, "Forbidden")
    end
    local path = ngx.var.uri
    if api.stage_prefix ~= "" then
        if path:sub(1, #api.stage_prefix + 1) ~= api.stage_prefix .. "/" and path ~= api.stage_prefix then
            return reply(404, "Not Found")
        end
        path = path:sub(#api.stage_prefix + 1)
        if path == "" then
            path = "/"
        end
    end
    local route = select(api, ngx.req.get_method(), path)
    if route == nil then
        return reply(404, "Not Found")
    end
    ngx.var.gw_route = route.key
    if route.auth == "AWS_IAM" then
        ngx.req.read_body()
        local body = ngx.req.get_body_data()
        if body == nil and ngx.req.get_body_file() ~= nil then
            local handle = io.open(ngx.req.get_body_file(), "rb")
            body = handle:read("*a")
            handle:close()
        end
        local check = ngx.location.capture("/__sigv4", {
            method = ngx.HTTP_POST,
            body = body or "",
            args = { method = ngx.req.get_method(), uri = ngx.var.request_uri, region = api.region, resource = api.resource },
        })
        if check.status ~= 200 then
            ngx.status = 403
            ngx.header["Content-Type"] = "application/json"
            ngx.print(check.body)
            return ngx.exit(403)
        end
        ngx.var.gw_principal = check.header["X-Principal"] or ""
    end
    if route.integration == nil then
        return reply(500, "Internal Server Error")
    end
    return ngx.exec("@i_" .. route.integration)
end

-- A response over 10 MB is refused (with its Content-Length known) or cut (streamed).
function M.header_filter()
    local length = tonumber(ngx.header["Content-Length"])
    if length ~= nil and length > MAX_RESPONSE then
        ngx.ctx.refused = true
        ngx.status = 413
        ngx.header["Content-Type"] = "application/json"
        ngx.header["Content-Length"] = nil
        ngx.header["Content-Disposition"] = nil
        ngx.header["Content-Encoding"] = nil
    end
end

function M.body_filter()
    if ngx.ctx.refused then
        if not ngx.ctx.said then
            ngx.ctx.said = true
            ngx.arg[1] = '{"message":"Response payload size exceeded maximum allowed payload size"}'
        else
            ngx.arg[1] = ""
        end
        return
    end
    ngx.ctx.sent = (ngx.ctx.sent or 0) + #(ngx.arg[1] or "")
    if ngx.ctx.sent > MAX_RESPONSE then
        ngx.log(ngx.WARN, "response over 10 MB cut")
        return ngx.ERROR
    end
end

return M
