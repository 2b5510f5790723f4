//! Assembles and runs the gRPC server: TLS, the auth layer, gascis.v1
//! services, health and reflection. Used by `serve`, `demo` and the tests.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use gascis_common::proto::{
    FILE_DESCRIPTOR_SET,
    v1::{
        archive_service_server::ArchiveServiceServer, auth_service_server::AuthServiceServer,
        billing_service_server::BillingServiceServer, counter_service_server::CounterServiceServer,
        import_service_server::ImportServiceServer, invoice_service_server::InvoiceServiceServer,
        system_service_server::SystemServiceServer, user_service_server::UserServiceServer,
    },
};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use tonic::transport::{Identity, Server, ServerTlsConfig, server::TcpIncoming};

use crate::{
    api::import_service::ImportApi,
    api::{
        AppState, archive_service::ArchiveApi, auth_service::AuthApi, billing_service::BillingApi,
        counter_service::CounterApi, invoice_service::InvoiceApi, system_service::SystemApi,
        user_service::UserApi,
    },
    auth::{
        AuthSettings,
        layer::{AuthLayer, AuthState},
    },
    config::Config,
    db,
};

/// Everything `start` needs besides the configuration.
pub struct ServeOptions {
    pub config: Config,
    /// Connection of the request pool (role gascis_app).
    pub app_url: String,
    /// Connection that applies migrations (the schema owner).
    pub migration_url: String,
    pub certificate_pem: String,
    pub key_pem: String,
    /// Keys of the personal data at rest.
    pub pii: Arc<crate::pii::PiiKeys>,
    /// Payment channels (WeChat, Alipay, bank) and their signing secret.
    pub gateways: Arc<crate::counter::gateways::Gateways>,
    /// The invoicing platform (a simulator in this build).
    pub invoice_platform: Arc<dyn crate::invoices::platform::InvoicePlatform>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {address}: {reason}")]
    Bind { address: SocketAddr, reason: String },
    #[error(transparent)]
    Database(#[from] db::DbError),
    #[error("TLS setup failed: {0}")]
    Tls(String),
    #[error("server failed: {0}")]
    Transport(String),
}

/// A server running on the current tokio runtime.
pub struct RunningServer {
    pub local_addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), ServeError>>,
    /// Asks the payment channels about unknown outcomes now and then.
    reconciler: JoinHandle<()>,
    /// IoT charges and valves, bill notices (`jobs`), when scheduled.
    jobs: Option<JoinHandle<()>>,
    grace: Duration,
    health: tonic_health::server::HealthReporter,
}

impl RunningServer {
    /// Stops accepting calls, lets calls in flight finish (up to the grace
    /// period) and returns.
    pub async fn shutdown(mut self) -> Result<(), ServeError> {
        self.reconciler.abort();
        if let Some(jobs) = &self.jobs {
            jobs.abort();
        }
        self.health
            .set_service_status("", tonic_health::ServingStatus::NotServing)
            .await;
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
        match tokio::time::timeout(self.grace, &mut self.task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join_error)) => Err(ServeError::Transport(join_error.to_string())),
            Err(_) => {
                tracing::warn!("calls still running after the grace period; stopping anyway");
                self.task.abort();
                Ok(())
            }
        }
    }

    /// Waits until the server stops by itself (an error).
    pub async fn wait(&mut self) -> Result<(), ServeError> {
        match (&mut self.task).await {
            Ok(result) => result,
            Err(join_error) => Err(ServeError::Transport(join_error.to_string())),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.reconciler.abort();
        if let Some(jobs) = &self.jobs {
            jobs.abort();
        }
    }
}

/// Every minute, payments and invoices whose outcome has been unknown for
/// two minutes are looked up with their channel or the invoicing platform
/// (a person can also ask at once).
async fn reconcile_now_and_then(
    pool: db::PgPool,
    gateways: Arc<crate::counter::gateways::Gateways>,
    settings: crate::counter::Settings,
    invoice_platform: Arc<dyn crate::invoices::platform::InvoicePlatform>,
    invoice_settings: crate::invoices::Settings,
) {
    let mut interval = tokio::time::interval(Duration::from_secs(60));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        match crate::counter::gateways::reconcile(
            &pool,
            &gateways,
            &settings,
            chrono::Duration::minutes(2),
        )
        .await
        {
            Ok(done) if done == Default::default() => {}
            Ok(done) => tracing::info!(?done, "reconciled payments of unknown outcome"),
            Err(error) => tracing::warn!(%error, "reconciling payments failed"),
        }
        match crate::invoices::reconcile(
            &pool,
            &invoice_platform,
            &invoice_settings,
            chrono::Duration::minutes(2),
        )
        .await
        {
            Ok(done) if done == Default::default() => {}
            Ok(done) => tracing::info!(?done, "resolved invoices of unknown outcome"),
            Err(error) => tracing::warn!(%error, "resolving invoices failed"),
        }
    }
}

fn bind_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::AddrInUse => {
            "the port is already in use (is another gascis-server running? change server.listen in gascis.toml)".to_owned()
        }
        std::io::ErrorKind::PermissionDenied => {
            "permission denied (ports below 1024 need root; use a higher port)".to_owned()
        }
        std::io::ErrorKind::AddrNotAvailable => {
            "this machine has no such address (check server.listen)".to_owned()
        }
        _ => error.to_string(),
    }
}

pub async fn start(options: ServeOptions) -> Result<RunningServer, ServeError> {
    let ServeOptions {
        config,
        app_url,
        migration_url,
        certificate_pem,
        key_pem,
        pii,
        gateways,
        invoice_platform,
    } = options;
    let address = config.server.listen;
    // Bind first: a port in use is the commonest start-up failure, and it
    // should not wait for migrations.
    let listener = TcpListener::bind(address)
        .await
        .map_err(|error| ServeError::Bind {
            address,
            reason: bind_reason(&error),
        })?;
    let local_addr = listener.local_addr().map_err(|error| ServeError::Bind {
        address,
        reason: error.to_string(),
    })?;

    let pool_size = config.database.pool_size;
    let pool = tokio::task::spawn_blocking(move || -> Result<db::PgPool, db::DbError> {
        let mut owner = db::connect(&migration_url)?;
        let applied = db::migrate(&mut owner)?;
        if !applied.is_empty() {
            tracing::info!(?applied, "applied migrations");
        }
        db::pool(&app_url, pool_size)
    })
    .await
    .map_err(|error| ServeError::Transport(error.to_string()))??;

    let auth = AuthSettings::from_config(&config);
    let state = Arc::new(AppState {
        pool: pool.clone(),
        auth,
        config: config.clone(),
        pii,
    });
    let auth_layer = AuthLayer::new(Arc::new(AuthState {
        pool,
        settings: auth,
    }));

    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<AuthServiceServer<AuthApi>>().await;
    health.set_serving::<SystemServiceServer<SystemApi>>().await;
    health.set_serving::<UserServiceServer<UserApi>>().await;
    health
        .set_serving::<ArchiveServiceServer<ArchiveApi>>()
        .await;
    health.set_serving::<ImportServiceServer<ImportApi>>().await;
    health
        .set_serving::<BillingServiceServer<BillingApi>>()
        .await;
    health
        .set_serving::<CounterServiceServer<CounterApi>>()
        .await;
    health
        .set_serving::<InvoiceServiceServer<InvoiceApi>>()
        .await;

    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|error| ServeError::Transport(format!("reflection: {error}")))?;

    let tls = ServerTlsConfig::new().identity(Identity::from_pem(certificate_pem, key_pem));
    let router = Server::builder()
        .tls_config(tls)
        .map_err(|error| ServeError::Tls(error.to_string()))?
        .timeout(Duration::from_secs(300))
        .layer(auth_layer)
        .add_service(health_service)
        .add_service(reflection)
        .add_service(AuthServiceServer::new(AuthApi {
            state: Arc::clone(&state),
        }))
        .add_service(SystemServiceServer::new(SystemApi {
            state: Arc::clone(&state),
        }))
        .add_service(UserServiceServer::new(UserApi {
            state: Arc::clone(&state),
        }))
        .add_service(ArchiveServiceServer::new(ArchiveApi {
            state: Arc::clone(&state),
        }))
        .add_service(BillingServiceServer::new(BillingApi {
            state: Arc::clone(&state),
        }))
        .add_service(CounterServiceServer::new(CounterApi {
            state: Arc::clone(&state),
            gateways: Arc::clone(&gateways),
        }))
        .add_service(InvoiceServiceServer::new(InvoiceApi {
            state: Arc::clone(&state),
            platform: Arc::clone(&invoice_platform),
        }))
        .add_service(
            ImportServiceServer::new(ImportApi {
                state: Arc::clone(&state),
            })
            .max_decoding_message_size(crate::api::import_service::MAX_MESSAGE_BYTES)
            .max_encoding_message_size(crate::api::import_service::MAX_MESSAGE_BYTES),
        );

    let (shutdown_sender, shutdown_receiver) = oneshot::channel::<()>();
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let task = tokio::spawn(async move {
        router
            .serve_with_incoming_shutdown(incoming, async {
                let _ = shutdown_receiver.await;
            })
            .await
            .map_err(|error| ServeError::Transport(error.to_string()))
    });
    let reconciler = tokio::spawn(reconcile_now_and_then(
        state.pool.clone(),
        gateways,
        config.counter.clone(),
        invoice_platform,
        config.invoices.clone(),
    ));
    let jobs = crate::jobs::spawn(state.pool.clone(), config.clone(), Arc::clone(&state.pii));
    tracing::info!(%local_addr, "gRPC over TLS listening");
    Ok(RunningServer {
        local_addr,
        shutdown: Some(shutdown_sender),
        task,
        reconciler,
        jobs,
        grace: Duration::from_secs(config.server.shutdown_grace_seconds.max(1)),
        health,
    })
}
