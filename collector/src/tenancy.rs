//! The tenant of an export: `X-Scope-OrgID` (HTTP header or gRPC metadata) when multi-tenancy is
//! on, `single-tenant` otherwise. A missing tenant is 401 / UNAUTHENTICATED; an invalid one is
//! 400 / INVALID_ARGUMENT.

use sightline_storage::{TenantHeaderError, TenantId, tenant_from_header};

pub use sightline_storage::TENANT_HEADER;

use crate::error::ExportError;

/// Resolves the tenant of an export from the header value, if any.
pub fn resolve_tenant(
    multitenancy_enabled: bool,
    header: Option<&[u8]>,
) -> Result<TenantId, ExportError> {
    tenant_from_header(multitenancy_enabled, header).map_err(|error| match error {
        TenantHeaderError::Missing => ExportError::Unauthenticated(error.to_string()),
        TenantHeaderError::Invalid(_) => ExportError::InvalidTenant(error.to_string()),
    })
}
