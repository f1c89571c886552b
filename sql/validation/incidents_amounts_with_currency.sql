-- An amount and its currency come together: both given, or both left empty (not provided).
SELECT _file, _row, 'incident_id=' || incident_id AS record, field, 'an amount and its currency, or neither' AS expected,
       found
FROM (
    SELECT _file, _row, incident_id, 'value_affected_currency' AS field,
           coalesce(value_affected, 'empty') || ' with currency ' || coalesce(value_affected_currency, 'empty') AS found
    FROM raw_incidents WHERE (value_affected IS NULL) <> (value_affected_currency IS NULL)
    UNION ALL
    SELECT _file, _row, incident_id, 'economic_cost_currency',
           coalesce(economic_cost, 'empty') || ' with currency ' || coalesce(economic_cost_currency, 'empty')
    FROM raw_incidents WHERE (economic_cost IS NULL) <> (economic_cost_currency IS NULL)
)
