select
    id as contact_id,
    lower(properties__email) as email,
    properties__company as account,
    properties__hs_analytics_source as channel,
    properties__createdate as created_at
from {{ source('hubspot', 'contacts') }}
