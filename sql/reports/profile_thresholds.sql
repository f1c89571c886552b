-- The entity profile's thresholds that the regulator report states in its text (staging.classification): the
-- notification deadlines, how many of the other criteria make an incident major, the recurring-incident window.
-- One row; not a table of the report, so neither public_ nor regulator_ (no download, no attachment).
SELECT initial_notification_hours_after_classification, initial_notification_hours_after_detection,
       intermediate_report_hours_after_initial, final_report_months_after_intermediate, criteria_needed,
       recurring_window_months
FROM staging.classification
