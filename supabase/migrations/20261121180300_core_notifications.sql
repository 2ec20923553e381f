-- Notifications: in-app rows (streamed by Realtime) and email through the outbox, per user
-- preference (per type and channel, immediate or a daily digest). One core function,
-- private.notify, fans a notification out; modules call it in the transaction that causes it.

create type public.notification_priority as enum ('low', 'normal', 'high', 'urgent');
create type public.notification_channel as enum ('in_app', 'email');
create type public.notification_digest as enum ('immediate', 'daily');
comment on type public.notification_digest is 'immediate: an email per notification; daily: one summary email a day.';

create table public.notifications (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  org_id uuid references public.organizations (id) on delete cascade,
  type text not null,
  title text not null,
  body text not null default '',
  link text,
  data jsonb not null default '{}',
  priority public.notification_priority not null default 'normal',
  group_key text,
  group_count integer not null default 1,
  in_app boolean not null default true,
  email_state text not null default 'none',
  deliver_at timestamptz not null default now(),
  read_at timestamptz,
  archived_at timestamptz,
  email_delivered_at timestamptz,
  email_opened_at timestamptz,
  created_at timestamptz not null default now(),
  constraint notifications_type_format check (type ~ '^[a-z][a-z0-9_]*\.[a-z][a-z0-9_.]*$'),
  constraint notifications_title_length check (char_length(title) between 1 and 200),
  constraint notifications_body_length check (char_length(body) <= 4000),
  constraint notifications_link_format check (link is null or link ~ '^(https?://|/)[^\s]*$'),
  constraint notifications_email_state_values check (email_state in ('none', 'immediate', 'digest', 'digested')),
  constraint notifications_group_count_positive check (group_count >= 1)
);
create index notifications_feed_idx on public.notifications (user_id, deliver_at desc) where archived_at is null;
create index notifications_org_idx on public.notifications (org_id);
create index notifications_digest_idx on public.notifications (user_id, deliver_at) where email_state = 'digest';
create unique index notifications_group_idx on public.notifications (user_id, group_key)
  where group_key is not null and read_at is null and archived_at is null;
comment on table public.notifications is 'In-app notifications per user (and organization). A user reads and marks only their own; scheduled ones appear at deliver_at.';
comment on column public.notifications.group_key is 'Notifications with the same key collapse into one unread row (group_count counts them).';
comment on column public.notifications.in_app is 'False when the user turned the in-app channel off for this type: the row then only carries the email.';
comment on column public.notifications.email_state is 'none, immediate (sent through the outbox), digest (waiting for the daily summary) or digested.';
comment on column public.notifications.email_delivered_at is 'When the email provider reported delivery (Resend webhooks).';
comment on column public.notifications.email_opened_at is 'When the email provider reported the email opened (Resend webhooks).';

alter table public.notifications enable row level security;
revoke all on public.notifications from anon, authenticated;
grant select on public.notifications to authenticated;
grant update (read_at, archived_at) on public.notifications to authenticated;
create policy "Users read their own delivered notifications" on public.notifications
  for select to authenticated using (user_id = (select auth.uid()) and in_app and deliver_at <= (select private.now()));
create policy "Users mark their own notifications read or archived" on public.notifications
  for update to authenticated
  using (user_id = (select auth.uid()) and in_app)
  with check (user_id = (select auth.uid()));
select audit.enable('public.notifications');

do $$
begin
  if exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    alter publication supabase_realtime add table public.notifications;
  end if;
end
$$;

create table public.notification_preferences (
  user_id uuid not null references auth.users (id) on delete cascade,
  type text not null,
  channel public.notification_channel not null,
  enabled boolean not null default true,
  digest public.notification_digest not null default 'immediate',
  updated_at timestamptz not null default now(),
  primary key (user_id, type, channel),
  constraint notification_preferences_type_format check (type = '*' or type ~ '^[a-z][a-z0-9_]*\.[a-z][a-z0-9_.]*$'),
  constraint notification_preferences_digest_for_email check (channel = 'email' or digest = 'immediate')
);
comment on table public.notification_preferences is 'Per user, notification type (or * for every type) and channel: on or off, and for email immediate or a daily digest. Without a row: in-app and email on, immediate.';

create trigger touch_updated_at before update on public.notification_preferences
  for each row execute function private.touch_updated_at();

alter table public.notification_preferences enable row level security;
revoke all on public.notification_preferences from anon, authenticated;
grant select, delete on public.notification_preferences to authenticated;
grant insert (user_id, type, channel, enabled, digest) on public.notification_preferences to authenticated;
grant update (enabled, digest) on public.notification_preferences to authenticated;
create policy "Users read their own preferences" on public.notification_preferences
  for select to authenticated using (user_id = (select auth.uid()));
create policy "Users add their own preferences" on public.notification_preferences
  for insert to authenticated with check (user_id = (select auth.uid()));
create policy "Users change their own preferences" on public.notification_preferences
  for update to authenticated using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
create policy "Users remove their own preferences" on public.notification_preferences
  for delete to authenticated using (user_id = (select auth.uid()));
select audit.enable('public.notification_preferences');

-- The preference for a user, type and channel: the type's own row, else the * row, else on/immediate.
create or replace function private.notification_preference(p_user_id uuid, p_type text, p_channel public.notification_channel)
returns table (enabled boolean, digest public.notification_digest)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query
    select coalesce(p.enabled, true), coalesce(p.digest, 'immediate'::public.notification_digest)
    from (select 1) as one
    left join lateral (
      select np.enabled, np.digest from public.notification_preferences np
      where np.user_id = p_user_id and np.channel = p_channel and np.type in (p_type, '*')
      order by (np.type = '*')
      limit 1
    ) p on true;
end
$$;
comment on function private.notification_preference(uuid, text, public.notification_channel) is 'The effective preference: the type''s own, else the user''s * default, else enabled and immediate.';

-- Notifies a user: an in-app row and/or an email, as their preferences say. Runs in the caller's
-- transaction, so a rolled-back change notifies nobody. Returns the notification's id, or null when
-- the per-user, per-type rate limit dropped it (urgent notifications are never dropped).
create or replace function private.notify(
  p_user_id uuid,
  p_type text,
  p_title text,
  p_body text default '',
  p_link text default null,
  p_data jsonb default '{}',
  p_org_id uuid default null,
  p_priority public.notification_priority default 'normal',
  p_group_key text default null,
  p_deliver_at timestamptz default null
)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_in_app boolean;
  v_email boolean;
  v_digest public.notification_digest;
  v_state text;
  v_id uuid;
  v_grouped boolean := false;
  v_profile public.profiles;
  v_org_name text;
begin
  select p.enabled into v_in_app from private.notification_preference(p_user_id, p_type, 'in_app') p;
  select p.enabled, p.digest into v_email, v_digest from private.notification_preference(p_user_id, p_type, 'email') p;
  v_state := case when not v_email then 'none' when v_digest = 'daily' then 'digest' else 'immediate' end;
  if not v_in_app and v_state = 'none' then
    return null;
  end if;
  if p_priority <> 'urgent' and private.rate_limit(format('notify:%s:%s', p_user_id, p_type), 30, interval '10 minutes') > 0 then
    return null;
  end if;
  if p_group_key is not null then
    update public.notifications
    set title = p_title, body = coalesce(p_body, ''), link = p_link, data = coalesce(p_data, '{}'), group_count = group_count + 1,
        priority = greatest(priority, p_priority), deliver_at = coalesce(p_deliver_at, private.now())
    where user_id = p_user_id and group_key = p_group_key and read_at is null and archived_at is null
    returning id into v_id;
    v_grouped := v_id is not null;
  end if;
  if v_id is null then
    insert into public.notifications (user_id, org_id, type, title, body, link, data, priority, group_key, in_app, email_state, deliver_at)
    values (p_user_id, p_org_id, p_type, p_title, coalesce(p_body, ''), p_link, coalesce(p_data, '{}'), p_priority, p_group_key,
            v_in_app, v_state, coalesce(p_deliver_at, private.now()))
    returning id into v_id;
  end if;
  if v_state = 'immediate' then
    select * into v_profile from public.profiles where id = p_user_id;
    select name into v_org_name from public.organizations where id = p_org_id;
    if v_profile.email is not null then
      perform private.enqueue_email(
        'notification', v_profile.email,
        jsonb_build_object('title', p_title, 'body', coalesce(p_body, ''), 'org_name', v_org_name,
          'link', case when p_link ~ '^https?://' then p_link end),
        format('notification:%s:%s', v_id, case when v_grouped then extract(epoch from clock_timestamp())::text else '1' end),
        v_profile.locale, p_org_id, '{}', p_deliver_at);
    end if;
  end if;
  return v_id;
end
$$;
comment on function private.notify(uuid, text, text, text, text, jsonb, uuid, public.notification_priority, text, timestamptz) is 'Fans a notification out to in-app and email per the user''s preferences (email immediate or in the daily digest). Per user and type at most 30 per 10 minutes, urgent excepted.';

-- The daily digest: one summary email per user for the notifications that waited for it.
create or replace function private.send_daily_digests()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user record;
  v_count integer := 0;
  v_date text := to_char(private.now() at time zone 'UTC', 'YYYY-MM-DD');
begin
  for v_user in
    select n.user_id, p.email, p.locale,
           jsonb_agg(jsonb_build_object('title', n.title, 'body', n.body, 'link', case when n.link ~ '^https?://' then n.link end)
                     order by n.deliver_at) as items,
           array_agg(n.id) as ids
    from public.notifications n
    join public.profiles p on p.id = n.user_id
    where n.email_state = 'digest' and n.deliver_at <= private.now() and p.email is not null
    group by n.user_id, p.email, p.locale
  loop
    perform private.enqueue_email('digest', v_user.email,
      jsonb_build_object('date', v_date, 'count', jsonb_array_length(v_user.items), 'items', v_user.items),
      format('digest:%s:%s', v_user.user_id, v_date), v_user.locale);
    update public.notifications set email_state = 'digested' where id = any (v_user.ids);
    v_count := v_count + 1;
  end loop;
  return v_count;
end
$$;
comment on function private.send_daily_digests() is 'Enqueues one digest email per user for notifications waiting for it (idempotent per user and day). Run by pg_cron.';

-- Read notifications older than 30 days are archived.
create or replace function private.archive_old_notifications()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_count integer;
begin
  update public.notifications set archived_at = private.now()
  where archived_at is null and read_at is not null and read_at < private.now() - interval '30 days';
  get diagnostics v_count = row_count;
  return v_count;
end
$$;
comment on function private.archive_old_notifications() is 'Archives notifications read more than 30 days ago. Run daily by pg_cron.';

-- Delivery reports from the email provider (Resend webhooks), matched by its message id.
create or replace function private.record_email_event(p_provider_message_id text, p_event text, p_at timestamptz)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_key text;
begin
  if p_event not in ('delivered', 'opened') then
    return false;
  end if;
  select idempotency_key into v_key from private.email_outbox where provider_message_id = p_provider_message_id;
  if v_key is null then
    return false;
  end if;
  if v_key like 'notification:%' then
    update public.notifications
    set email_delivered_at = case when p_event = 'delivered' then coalesce(email_delivered_at, p_at) else email_delivered_at end,
        email_opened_at = case when p_event = 'opened' then coalesce(email_opened_at, p_at) else email_opened_at end
    where id = split_part(v_key, ':', 2)::uuid;
  end if;
  return true;
end
$$;
comment on function private.record_email_event(text, text, timestamptz) is 'Records a provider''s delivered or opened report on the notification the email carried.';

create index email_outbox_provider_message_idx on private.email_outbox (provider_message_id) where provider_message_id is not null;

revoke all on function private.notification_preference(uuid, text, public.notification_channel),
  private.notify(uuid, text, text, text, text, jsonb, uuid, public.notification_priority, text, timestamptz),
  private.send_daily_digests(), private.archive_old_notifications(), private.record_email_event(text, text, timestamptz) from public;
grant execute on function private.record_email_event(text, text, timestamptz) to service_role;

select cron.schedule('groundwork-notification-digest', '0 7 * * *', 'select private.send_daily_digests()');
select cron.schedule('groundwork-notification-archive', '41 2 * * *', 'select private.archive_old_notifications()');

-- An accepted invitation tells the inviter.
create or replace function private.notify_invitation_accepted()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.invited_by is not null then
    perform private.notify(
      new.invited_by, 'core.invitation_accepted', format('%s accepted your invitation', new.email), '', null,
      jsonb_build_object('invitation_id', new.id, 'org_id', new.org_id), new.org_id, 'normal', null, null);
  end if;
  return null;
end
$$;
comment on function private.notify_invitation_accepted() is 'Notifies the inviter when their invitation is accepted.';

create trigger notify_accepted after update of status on public.invitations
  for each row when (new.status = 'accepted' and old.status is distinct from 'accepted')
  execute function private.notify_invitation_accepted();
