DROP TABLE import_files, import_staging_accounts, import_mappings, import_rows, imports;
