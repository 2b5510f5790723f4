//! Which roles may call which RPC. This table is the one place where access
//! is declared; a method that is not listed is refused to everybody (a test
//! checks that every method of gascis.v1 is listed).

use gascis_common::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No session needed (Login and health checks).
    Public,
    /// Any signed-in user.
    AnyRole,
    /// Signed-in users holding at least one of these roles.
    Roles(&'static [Role]),
    /// Not in the table: refused.
    Unlisted,
}

impl Access {
    pub fn allows(self, roles: &[Role]) -> bool {
        match self {
            Access::Public | Access::AnyRole => true,
            Access::Roles(allowed) => roles.iter().any(|role| allowed.contains(role)),
            Access::Unlisted => false,
        }
    }
}

const ADMIN: &[Role] = &[Role::Admin];
const ARCHIVE_READERS: &[Role] = &[
    Role::Cashier,
    Role::Supervisor,
    Role::BackOffice,
    Role::Field,
    Role::Finance,
];
const BACK_OFFICE: &[Role] = &[Role::BackOffice];
/// Meter readers in the field and back office enter readings.
const READERS: &[Role] = &[Role::BackOffice, Role::Field];
/// The counter: cashiers and their supervisors take money.
const COUNTER: &[Role] = &[Role::Cashier, Role::Supervisor];
/// Who may look at payments and receipts.
const COUNTER_READERS: &[Role] = &[Role::Cashier, Role::Supervisor, Role::Finance];
/// Who oversees the money: day reports of all, locks, reconciliation.
const OVERSEERS: &[Role] = &[Role::Supervisor, Role::Finance];
/// Who issues, finds and prints invoices.
const INVOICERS: &[Role] = &[
    Role::Cashier,
    Role::Supervisor,
    Role::Finance,
    Role::BackOffice,
];
/// Who reverses invoices (红冲): finance and supervisors.
const INVOICE_REVERSERS: &[Role] = &[Role::Finance, Role::Supervisor];
/// IT runs the server but has no business reading customers' documents.
const PII_VIEWERS: &[Role] = &[Role::BackOffice];

/// Full gRPC paths of gascis.v1 and the roles that may call them.
pub const METHODS: &[(&str, Access)] = &[
    (
        "/gascis.v1.CounterService/GetCounterAccount",
        Access::Roles(COUNTER),
    ),
    (
        "/gascis.v1.CounterService/PostPayment",
        Access::Roles(COUNTER),
    ),
    (
        "/gascis.v1.CounterService/GetPayment",
        Access::Roles(COUNTER_READERS),
    ),
    (
        "/gascis.v1.CounterService/ListPayments",
        Access::Roles(COUNTER_READERS),
    ),
    (
        "/gascis.v1.CounterService/VoidPayment",
        Access::Roles(COUNTER),
    ),
    (
        "/gascis.v1.CounterService/RefundPrepayment",
        Access::Roles(COUNTER),
    ),
    (
        "/gascis.v1.CounterService/GetReceiptPdf",
        Access::Roles(COUNTER_READERS),
    ),
    ("/gascis.v1.CounterService/GetTill", Access::Roles(COUNTER)),
    (
        "/gascis.v1.CounterService/ListShifts",
        Access::Roles(OVERSEERS),
    ),
    (
        "/gascis.v1.CounterService/CloseShift",
        Access::Roles(COUNTER),
    ),
    (
        "/gascis.v1.CounterService/ExportShiftReport",
        Access::Roles(COUNTER_READERS),
    ),
    (
        "/gascis.v1.CounterService/LockPeriod",
        Access::Roles(OVERSEERS),
    ),
    (
        "/gascis.v1.CounterService/ReconcileUnknownPayments",
        Access::Roles(OVERSEERS),
    ),
    (
        "/gascis.v1.CounterService/PostChannelNotification",
        Access::Roles(OVERSEERS),
    ),
    (
        "/gascis.v1.CounterService/MatchChannelStatement",
        Access::Roles(OVERSEERS),
    ),
    (
        "/gascis.v1.InvoiceService/IssueInvoice",
        Access::Roles(INVOICERS),
    ),
    (
        "/gascis.v1.InvoiceService/GetInvoice",
        Access::Roles(INVOICERS),
    ),
    (
        "/gascis.v1.InvoiceService/ListInvoices",
        Access::Roles(INVOICERS),
    ),
    (
        "/gascis.v1.InvoiceService/ResolveInvoice",
        Access::Roles(INVOICERS),
    ),
    (
        "/gascis.v1.InvoiceService/RequestRedConfirmation",
        Access::Roles(INVOICE_REVERSERS),
    ),
    (
        "/gascis.v1.InvoiceService/ConfirmRedConfirmation",
        Access::Roles(INVOICE_REVERSERS),
    ),
    (
        "/gascis.v1.InvoiceService/RefreshRedConfirmation",
        Access::Roles(INVOICE_REVERSERS),
    ),
    (
        "/gascis.v1.InvoiceService/IssueRedInvoice",
        Access::Roles(INVOICE_REVERSERS),
    ),
    (
        "/gascis.v1.InvoiceService/GetInvoicePdf",
        Access::Roles(INVOICERS),
    ),
    (
        "/gascis.v1.CounterService/QuoteGasPurchase",
        Access::Roles(COUNTER),
    ),
    (
        "/gascis.v1.CounterService/PurchaseGas",
        Access::Roles(COUNTER),
    ),
    (
        "/gascis.v1.CounterService/ConfirmCardWrite",
        Access::Roles(COUNTER),
    ),
    (
        "/gascis.v1.CounterService/RewriteCard",
        Access::Roles(COUNTER),
    ),
    (
        "/gascis.v1.CounterService/ReissueCard",
        Access::Roles(COUNTER),
    ),
    (
        "/gascis.v1.CounterService/ListGasPurchases",
        Access::Roles(COUNTER_READERS),
    ),
    ("/gascis.v1.AuthService/Login", Access::Public),
    ("/gascis.v1.AuthService/Logout", Access::AnyRole),
    ("/gascis.v1.AuthService/WhoAmI", Access::AnyRole),
    ("/gascis.v1.SystemService/GetServerInfo", Access::AnyRole),
    (
        "/gascis.v1.SystemService/ListAuditEvents",
        Access::Roles(ADMIN),
    ),
    ("/gascis.v1.UserService/ListUsers", Access::Roles(ADMIN)),
    ("/gascis.v1.UserService/CreateUser", Access::Roles(ADMIN)),
    ("/gascis.v1.UserService/SetPassword", Access::Roles(ADMIN)),
    (
        "/gascis.v1.UserService/SetUserDisabled",
        Access::Roles(ADMIN),
    ),
    (
        "/gascis.v1.BillingService/ListTariffs",
        Access::Roles(ARCHIVE_READERS),
    ),
    (
        "/gascis.v1.BillingService/GetTariff",
        Access::Roles(ARCHIVE_READERS),
    ),
    (
        "/gascis.v1.BillingService/SaveTariffDraft",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.BillingService/PublishTariff",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.BillingService/SetDefaultTariff",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.BillingService/QuoteTariff",
        Access::Roles(ARCHIVE_READERS),
    ),
    (
        "/gascis.v1.BillingService/ListRouteBooks",
        Access::Roles(ARCHIVE_READERS),
    ),
    (
        "/gascis.v1.BillingService/SaveRouteBook",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.BillingService/GetReadingSheet",
        Access::Roles(READERS),
    ),
    (
        "/gascis.v1.BillingService/RecordReadings",
        Access::Roles(READERS),
    ),
    (
        "/gascis.v1.BillingService/FeedIotReadings",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.BillingService/ListAnomalies",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.BillingService/ReviewReading",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.BillingService/RunBilling",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.BillingService/ListBills",
        Access::Roles(ARCHIVE_READERS),
    ),
    (
        "/gascis.v1.BillingService/CancelBill",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.BillingService/ExportBills",
        Access::Roles(ARCHIVE_READERS),
    ),
    (
        "/gascis.v1.BillingService/TariffWhatIf",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.BillingService/ExportTariffWhatIf",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.BillingService/ListLateFees",
        Access::Roles(ARCHIVE_READERS),
    ),
    (
        "/gascis.v1.ArchiveService/SearchAccounts",
        Access::Roles(ARCHIVE_READERS),
    ),
    (
        "/gascis.v1.ArchiveService/ExportAccounts",
        Access::Roles(ARCHIVE_READERS),
    ),
    (
        "/gascis.v1.ArchiveService/GetAccount",
        Access::Roles(ARCHIVE_READERS),
    ),
    (
        "/gascis.v1.ArchiveService/ListChanges",
        Access::Roles(ARCHIVE_READERS),
    ),
    (
        "/gascis.v1.ArchiveService/ListNotices",
        Access::Roles(ARCHIVE_READERS),
    ),
    (
        "/gascis.v1.ArchiveService/OpenAccount",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.ArchiveService/TransferAccount",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.ArchiveService/CloseAccount",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.ArchiveService/SetAccountSuspended",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.ArchiveService/ReplaceMeter",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.ArchiveService/UpdateCustomer",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.ArchiveService/UpdatePremise",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.ArchiveService/UpdateAccount",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.ArchiveService/UpdateContract",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.ArchiveService/RegisterHousehold",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.ImportService/UploadImportFile",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.ImportService/InspectImportFile",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.ImportService/RunImport",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.ImportService/ListImportMappings",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.ImportService/SaveImportMapping",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.ImportService/DeleteImportMapping",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.ImportService/GetImportTemplate",
        Access::Roles(BACK_OFFICE),
    ),
    (
        "/gascis.v1.ArchiveService/RevealCustomerPii",
        Access::Roles(PII_VIEWERS),
    ),
];

/// Standard services, by path prefix.
const PREFIXES: &[(&str, Access)] = &[
    // Load balancers and `gascis-server status` probe health without a session.
    ("/grpc.health.v1.Health/", Access::Public),
    // Tools such as grpcurl list and describe services with a session token.
    ("/grpc.reflection.v1.ServerReflection/", Access::AnyRole),
];

pub fn access(path: &str) -> Access {
    if let Some((_, access)) = METHODS.iter().find(|(method, _)| *method == path) {
        return *access;
    }
    PREFIXES
        .iter()
        .find(|(prefix, _)| path.starts_with(prefix))
        .map_or(Access::Unlisted, |(_, access)| *access)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_and_health_are_public_and_nothing_else_is() {
        assert_eq!(access("/gascis.v1.AuthService/Login"), Access::Public);
        assert_eq!(access("/grpc.health.v1.Health/Check"), Access::Public);
        let public: Vec<_> = METHODS
            .iter()
            .filter(|(_, access)| *access == Access::Public)
            .collect();
        assert_eq!(public.len(), 1);
        assert_eq!(access("/gascis.v1.Nope/Nope"), Access::Unlisted);
    }

    #[test]
    fn every_method_of_the_api_is_in_the_table() -> Result<(), prost::DecodeError> {
        use prost::Message;
        let set =
            prost_types::FileDescriptorSet::decode(gascis_common::proto::FILE_DESCRIPTOR_SET)?;
        let mut missing = Vec::new();
        for file in set.file.iter().filter(|f| f.package() == "gascis.v1") {
            for service in &file.service {
                for method in &service.method {
                    let path = format!("/gascis.v1.{}/{}", service.name(), method.name());
                    if access(&path) == Access::Unlisted {
                        missing.push(path);
                    }
                }
            }
        }
        assert!(missing.is_empty(), "no access policy for {missing:?}");
        assert!(
            METHODS
                .iter()
                .all(|(path, _)| path.starts_with("/gascis.v1."))
        );
        Ok(())
    }

    #[test]
    fn admin_methods_refuse_other_roles() {
        let create = access("/gascis.v1.UserService/CreateUser");
        assert!(create.allows(&[Role::Admin]));
        assert!(create.allows(&[Role::Cashier, Role::Admin]));
        assert!(!create.allows(&[Role::Cashier, Role::Supervisor]));
        assert!(!Access::Unlisted.allows(&Role::ALL));
    }
}
