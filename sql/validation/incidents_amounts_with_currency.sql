-- An amount and its currency come together: both given, or both left empty (not provided).
WITH incidents AS (
    SELECT *, value_affected IS NOT NULL OR value_affected__text IS NOT NULL AS has_value,
           economic_cost IS NOT NULL OR economic_cost__text IS NOT NULL AS has_cost
    FROM raw_incidents
)
SELECT _file, _row, 'incident_id=' || incident_id AS record, field, 'an amount and its currency, or neither' AS expected,
       found
FROM (
    SELECT _file, _row, incident_id, 'value_affected_currency' AS field,
           coalesce(value_affected__text, CAST(value_affected AS VARCHAR), 'empty') || ' with currency '
               || coalesce(value_affected_currency, 'empty') AS found
    FROM incidents WHERE has_value <> (value_affected_currency IS NOT NULL)
    UNION ALL
    SELECT _file, _row, incident_id, 'economic_cost_currency',
           coalesce(economic_cost__text, CAST(economic_cost AS VARCHAR), 'empty') || ' with currency '
               || coalesce(economic_cost_currency, 'empty')
    FROM incidents WHERE has_cost <> (economic_cost_currency IS NOT NULL)
)
