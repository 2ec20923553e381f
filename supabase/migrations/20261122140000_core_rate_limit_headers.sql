-- Core: a rate-limited request says its limit, as the IETF RateLimit header fields draft names
-- them. The GW429 detail now carries the limit, the window and the seconds to its reset, which
-- the functions turn into RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy
-- and Retry-After. Tables: none. Permissions: none.

-- Helpers
create or replace function private.enforce_rate_limit(p_key text, p_limit integer, p_window interval, p_what text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_wait integer := private.rate_limit(p_key => p_key, p_limit => p_limit, p_window => p_window);
begin
  if v_wait > 0 then
    raise exception 'Cannot % now: the limit of % per % is reached', p_what, p_limit, p_window
      using errcode = 'GW429', detail = json_build_object(
        'retry_after', v_wait,
        'limit', p_limit,
        'remaining', 0,
        'window_seconds', extract(epoch from p_window)::integer)::text;
  end if;
end
$$;
comment on function private.enforce_rate_limit(text, integer, interval, text) is 'Raises SQLSTATE GW429 (HTTP 429) when the key is over its limit; the detail gives retry_after, limit, remaining and window_seconds for the Retry-After and RateLimit-* headers.';
revoke all on function private.enforce_rate_limit(text, integer, interval, text) from public;
