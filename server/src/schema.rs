// @generated-style: mirrors migrations/ (checked by tests/tests/schema.rs).

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

diesel::allow_tables_to_appear_in_same_query!(audit_events, sessions, users);
