select
    deals.id as deal_id,
    deals.properties__dealname as deal_name,
    deals.properties__dealstage as stage,
    cast(deals.properties__amount as double) as amount,
    deals.properties__createdate as created_at,
    contacts.id as contact_id
from {{ source('hubspot', 'deals') }} as deals
left join {{ source('hubspot', 'deals__associations__contacts__results') }} as contacts
    on contacts._dlt_parent_id = deals._dlt_id and contacts._dlt_list_idx = 0
