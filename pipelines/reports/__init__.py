"""Rendering the public and regulator reports from the warehouse: data (SQL in sql/reports/), formatting,
charts, HTML and PDF."""
