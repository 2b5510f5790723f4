// Mirrors migrations/; tests/tests/database.rs checks the schema conventions.

diesel::table! {
    audit_events (id) {
        id -> Int8,
        at -> Timestamptz,
        kind -> Text,
        username -> Text,
        user_id -> Nullable<Int8>,
        rpc -> Text,
        detail -> Text,
        peer -> Text,
    }
}

diesel::table! {
    sessions (token_sha256) {
        token_sha256 -> Bytea,
        user_id -> Int8,
        created_at -> Timestamptz,
        last_seen_at -> Timestamptz,
        expires_at -> Timestamptz,
        ended_at -> Nullable<Timestamptz>,
        client_name -> Text,
        peer -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Int8,
        username -> Text,
        display_name -> Text,
        password_hash -> Text,
        roles -> Array<Text>,
        disabled -> Bool,
        failed_login_count -> Int4,
        locked_until -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::joinable!(sessions -> users (user_id));

diesel::table! {
    customers (id) {
        id -> Int8,
        party_kind -> Text,
        customer_type -> Text,
        name -> Text,
        id_type -> Text,
        id_number_enc -> Nullable<Bytea>,
        id_number_hash -> Nullable<Bytea>,
        id_number_masked -> Text,
        phone_enc -> Nullable<Bytea>,
        phone_hash -> Nullable<Bytea>,
        phone_masked -> Text,
        phone2_enc -> Nullable<Bytea>,
        phone2_hash -> Nullable<Bytea>,
        phone2_masked -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::table! {
    premises (id) {
        id -> Int8,
        district -> Text,
        community -> Text,
        building -> Text,
        unit -> Text,
        room -> Text,
        address -> Text,
        latitude -> Nullable<Numeric>,
        longitude -> Nullable<Numeric>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::table! {
    accounts (id) {
        id -> Int8,
        account_no -> Text,
        customer_id -> Int8,
        premise_id -> Int8,
        status -> Text,
        low_income -> Bool,
        tariff_code -> Text,
        opened_on -> Date,
        closed_on -> Nullable<Date>,
        open_idempotency_key -> Nullable<Text>,
        open_request_sha256 -> Nullable<Bytea>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
        notices_opt_out -> Bool,
    }
}

diesel::table! {
    account_holders (id) {
        id -> Int8,
        account_id -> Int8,
        customer_id -> Int8,
        from_date -> Date,
        to_date -> Nullable<Date>,
    }
}

diesel::table! {
    household_registrations (id) {
        id -> Int8,
        account_id -> Int8,
        household_size -> Int4,
        effective_from -> Date,
        recorded_at -> Timestamptz,
        recorded_by -> Text,
    }
}

diesel::table! {
    meters (id) {
        id -> Int8,
        meter_no -> Text,
        meter_type -> Text,
        maker -> Text,
        model -> Text,
        size -> Text,
        digits -> Int4,
        installed_on -> Date,
        initial_reading -> Numeric,
        account_id -> Nullable<Int8>,
        installed -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::table! {
    meter_events (id) {
        id -> Int8,
        meter_id -> Int8,
        account_id -> Int8,
        kind -> Text,
        reading -> Numeric,
        occurred_on -> Date,
        recorded_at -> Timestamptz,
        recorded_by -> Text,
        note -> Text,
    }
}

diesel::table! {
    contracts (id) {
        id -> Int8,
        contract_no -> Text,
        account_id -> Int8,
        signed_on -> Date,
        gas_purpose -> Text,
        price_policy -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::table! {
    ic_cards (id) {
        id -> Int8,
        card_no -> Text,
        account_id -> Int8,
        issue_count -> Int4,
        status -> Text,
        issued_at -> Timestamptz,
        version -> Int4,
    }
}

diesel::table! {
    change_records (id) {
        id -> Int8,
        at -> Timestamptz,
        user_id -> Nullable<Int8>,
        username -> Text,
        account_id -> Nullable<Int8>,
        entity -> Text,
        entity_id -> Int8,
        action -> Text,
        reason -> Text,
        differences -> Array<Text>,
        approved_by -> Text,
    }
}

diesel::table! {
    ledger_transactions (id) {
        id -> Int8,
        business_key -> Text,
        kind -> Text,
        account_id -> Nullable<Int8>,
        occurred_on -> Date,
        created_at -> Timestamptz,
        created_by -> Text,
        reverses_id -> Nullable<Int8>,
        memo -> Text,
    }
}

diesel::table! {
    ledger_lines (id) {
        id -> Int8,
        transaction_id -> Int8,
        book -> Text,
        account_id -> Nullable<Int8>,
        amount -> Numeric,
    }
}

diesel::table! {
    account_balances (account_id, book) {
        account_id -> Int8,
        book -> Text,
        balance -> Numeric,
    }
}

diesel::joinable!(accounts -> customers (customer_id));
diesel::joinable!(accounts -> premises (premise_id));
diesel::joinable!(account_holders -> accounts (account_id));
diesel::joinable!(account_holders -> customers (customer_id));
diesel::joinable!(household_registrations -> accounts (account_id));
diesel::joinable!(meter_events -> meters (meter_id));
diesel::joinable!(contracts -> accounts (account_id));
diesel::joinable!(ic_cards -> accounts (account_id));
diesel::joinable!(ledger_lines -> ledger_transactions (transaction_id));

diesel::allow_tables_to_appear_in_same_query!(
    audit_events,
    sessions,
    users,
    accounts,
    account_holders,
    customers,
    premises,
    meters,
    meter_events,
    contracts,
    ic_cards,
    household_registrations,
    change_records,
    ledger_transactions,
    ledger_lines,
);

diesel::table! {
    imports (id) {
        id -> Int8,
        kind -> Text,
        file_name -> Text,
        file_sha256 -> Bytea,
        sheet -> Text,
        policy -> Text,
        status -> Text,
        rows_read -> Int4,
        rows_new -> Int4,
        rows_updated -> Int4,
        rows_unchanged -> Int4,
        rows_rejected -> Int4,
        file_balance -> Nullable<Numeric>,
        file_arrears -> Nullable<Numeric>,
        db_balance -> Nullable<Numeric>,
        db_arrears -> Nullable<Numeric>,
        error_message -> Text,
        created_by -> Text,
        started_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
        chunk_rows -> Nullable<Int4>,
        committed_through_row -> Int4,
        chunks_done -> Int4,
    }
}

diesel::table! {
    imported_payments (id) {
        id -> Int8,
        account_id -> Int8,
        paid_on -> Date,
        amount -> Numeric,
        channel -> Text,
        receipt_no -> Text,
        cashier -> Text,
        import_id -> Int8,
        import_row -> Int4,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    import_rows (id) {
        id -> Int8,
        import_id -> Int8,
        sheet -> Text,
        row_number -> Int4,
        account_id -> Nullable<Int8>,
        outcome -> Text,
    }
}

diesel::table! {
    import_staging_accounts (import_id, row_number) {
        import_id -> Int8,
        row_number -> Int4,
        account_no -> Text,
        customer_name -> Text,
        party_kind -> Text,
        customer_type -> Text,
        id_type -> Text,
        id_number_enc -> Nullable<Bytea>,
        id_number_hash -> Nullable<Bytea>,
        id_number_masked -> Text,
        phone_enc -> Bytea,
        phone_hash -> Bytea,
        phone_masked -> Text,
        district -> Text,
        community -> Text,
        building -> Text,
        unit -> Text,
        room -> Text,
        address -> Text,
        meter_no -> Text,
        meter_type -> Text,
        initial_reading -> Numeric,
        card_no -> Nullable<Text>,
        household_size -> Nullable<Int4>,
        opened_on -> Date,
        balance -> Numeric,
        arrears -> Numeric,
        // outcome, differences, balance_delta, arrears_delta and the drawn
        // ids are filled and read by the merge SQL only.
    }
}

// Invoices (migration 2026-12-07-000010_invoices). Written and read with
// SQL in `invoices`; mirrored here so the schema has one Rust map.
diesel::table! {
    invoices (id) {
        id -> Int8,
        request_no -> Text,
        idempotency_key -> Text,
        request_sha256 -> Bytea,
        kind -> Text,
        colour -> Text,
        basis -> Text,
        customer_id -> Int8,
        original_invoice_id -> Nullable<Int8>,
        red_confirmation_id -> Nullable<Int8>,
        buyer_title -> Text,
        buyer_tax_id -> Text,
        buyer_address_phone -> Text,
        buyer_bank_account -> Text,
        buyer_email -> Text,
        seller_name -> Text,
        seller_tax_id -> Text,
        seller_address_phone -> Text,
        seller_bank_account -> Text,
        total_amount -> Numeric,
        total_net -> Numeric,
        total_tax -> Numeric,
        remark -> Text,
        status -> Text,
        status_detail -> Text,
        invoice_code -> Text,
        invoice_no -> Nullable<Text>,
        issued_on -> Nullable<Date>,
        issued_at -> Nullable<Timestamptz>,
        issuer -> Text,
        created_by -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    invoice_lines (invoice_id, line_no) {
        invoice_id -> Int8,
        line_no -> Int2,
        source -> Text,
        bill_id -> Nullable<Int8>,
        payment_id -> Nullable<Int8>,
        original_line_no -> Nullable<Int2>,
        item_name -> Text,
        specification -> Text,
        unit -> Text,
        quantity -> Nullable<Numeric>,
        unit_price -> Nullable<Numeric>,
        amount -> Numeric,
        tax_rate -> Numeric,
        tax_treatment -> Text,
        net -> Numeric,
        tax -> Numeric,
    }
}

diesel::table! {
    invoice_claims (id) {
        id -> Int8,
        invoice_id -> Int8,
        payment_id -> Nullable<Int8>,
        bill_id -> Nullable<Int8>,
        released_at -> Nullable<Timestamptz>,
        release_reason -> Text,
    }
}

diesel::table! {
    red_confirmations (id) {
        id -> Int8,
        form_no -> Text,
        idempotency_key -> Text,
        request_sha256 -> Bytea,
        invoice_id -> Int8,
        initiator -> Text,
        full_reversal -> Bool,
        reason -> Text,
        amount -> Numeric,
        net -> Numeric,
        tax -> Numeric,
        status -> Text,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    red_confirmation_lines (confirmation_id, original_line_no) {
        confirmation_id -> Int8,
        original_line_no -> Int2,
        quantity -> Nullable<Numeric>,
        amount -> Numeric,
        net -> Numeric,
        tax -> Numeric,
    }
}

diesel::table! {
    invoice_events (id) {
        id -> Int8,
        invoice_id -> Int8,
        confirmation_id -> Nullable<Int8>,
        from_status -> Text,
        to_status -> Text,
        side -> Text,
        actor -> Text,
        detail -> Text,
        at -> Timestamptz,
    }
}

diesel::joinable!(invoice_lines -> invoices (invoice_id));
diesel::joinable!(invoice_claims -> invoices (invoice_id));
diesel::joinable!(red_confirmation_lines -> red_confirmations (confirmation_id));

diesel::allow_tables_to_appear_in_same_query!(
    invoices,
    invoice_lines,
    invoice_claims,
    red_confirmations,
    red_confirmation_lines,
    invoice_events,
);
