-- A text as a JSON string, written exactly as RFC 8785 (and Python's json.dumps with ensure_ascii=False) writes it:
-- NULL as null; `"` and `\` escaped; control characters as \b \t \n \f \r or \u00xx in lower-case hex; everything
-- else as it is. DuckDB's to_json writes the same but for the hex digits' case, so it serves texts without control
-- characters; the rest (rare) are escaped character by character.
CREATE OR REPLACE TEMP MACRO json_text(s) AS
    CASE WHEN s IS NULL THEN 'null'
         WHEN NOT regexp_matches(s, '[\x00-\x1f]') THEN CAST(to_json(CAST(s AS VARCHAR)) AS VARCHAR)
         ELSE '"' || array_to_string(list_transform(string_split(s, ''), lambda ch:
                  CASE WHEN ch = '\' THEN '\\' WHEN ch = '"' THEN '\"' WHEN ord(ch) >= 32 THEN ch
                       WHEN ch = chr(8) THEN '\b' WHEN ch = chr(9) THEN '\t' WHEN ch = chr(10) THEN '\n'
                       WHEN ch = chr(12) THEN '\f' WHEN ch = chr(13) THEN '\r'
                       ELSE '\u00' || lower(lpad(to_hex(CAST(ord(ch) AS BIGINT)), 2, '0')) END), '') || '"'
    END
