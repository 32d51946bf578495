//! Database errors in the contracts' terms: the one place that says what a failed query means to
//! a caller (and, through [`ServiceError`], to an HTTP response).

use diesel::result::{DatabaseErrorKind, Error as QueryError};
use diesel_async::pooled_connection::deadpool::PoolError;

use crate::contracts::protocols::ServiceError;
use crate::db::DbError;

impl From<QueryError> for ServiceError {
    fn from(err: QueryError) -> Self {
        match err {
            QueryError::NotFound => ServiceError::NotFound,
            QueryError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                ServiceError::Conflict("That already exists.".into())
            }
            QueryError::DatabaseError(DatabaseErrorKind::CheckViolation, info) => {
                ServiceError::Invalid(format!(
                    "Invalid value ({}).",
                    info.constraint_name().unwrap_or("check")
                ))
            }
            QueryError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                ServiceError::Invalid("That refers to something that does not exist.".into())
            }
            QueryError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
                ServiceError::Unavailable(err.to_string())
            }
            other => ServiceError::Internal(other.to_string()),
        }
    }
}

impl From<PoolError> for ServiceError {
    fn from(err: PoolError) -> Self {
        ServiceError::Unavailable(DbError::Pool(err).to_string())
    }
}

impl From<DbError> for ServiceError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::Query(e) => e.into(),
            other => ServiceError::Unavailable(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_row_is_not_found_and_other_failures_are_internal() {
        assert!(matches!(
            ServiceError::from(QueryError::NotFound),
            ServiceError::NotFound
        ));
        assert!(matches!(
            ServiceError::from(QueryError::RollbackTransaction),
            ServiceError::Internal(_)
        ));
        assert!(matches!(
            ServiceError::from(DbError::Build("no pool".into())),
            ServiceError::Unavailable(_)
        ));
    }
}
