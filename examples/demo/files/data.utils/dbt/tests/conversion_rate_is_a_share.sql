-- A conversion rate is a share of contacts: rows outside [0, 1] fail the build.
select * from {{ ref('conversion_by_channel') }}
where conversion_rate < 0 or conversion_rate > 1 or customers > contacts
