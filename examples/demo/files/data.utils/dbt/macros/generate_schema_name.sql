{# Schemas are named `staging` and `marts`, not `main_staging`: the report and users query them. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name if custom_schema_name else target.schema }}
{%- endmacro %}
