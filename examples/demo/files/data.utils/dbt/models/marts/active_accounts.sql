-- Product: accounts with activity in the 30 days before the latest event.
with latest as (
    select max(occurred_at) as at from {{ ref('stg_events') }}
)

select
    events.account,
    count(distinct events.email) as active_users,
    count(*) as events,
    max(events.occurred_at) as last_seen
from {{ ref('stg_events') }} as events, latest
where events.occurred_at >= latest.at - interval 30 day
group by events.account
order by events desc, events.account
