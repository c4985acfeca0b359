-- Marketing: which acquisition channels bring contacts that become customers.
with won as (
    select distinct contact_id from {{ ref('stg_deals') }} where stage = 'closedwon'
)

select
    contacts.channel,
    count(*) as contacts,
    count(won.contact_id) as customers,
    round(count(won.contact_id) / count(*), 4) as conversion_rate
from {{ ref('stg_contacts') }} as contacts
left join won on won.contact_id = contacts.contact_id
group by contacts.channel
order by conversion_rate desc, contacts.channel
