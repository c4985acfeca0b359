select
    uuid as event_id,
    event,
    lower(distinct_id) as email,
    properties___group_0 as account,
    "timestamp" as occurred_at
from {{ source('posthog', 'events') }}
