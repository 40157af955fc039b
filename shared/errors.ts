/**
 * hawkBit's error codes (SpServerError, without the `hawkbit.server.error.` prefix), the HTTP status
 * each maps to and the Java exception class hawkBit names in `exceptionClass`.
 */

export const ERROR_CODES = [
	"repo.entityNotFound",
	"deleted",
	"repo.entityAlreadyExists",
	"repo.concurrentModification",
	"repo.autoConfAlreadyActive",
	"target.type.used",
	"repo.entityReadOnly",
	"insufficientPermission",
	"repo.tenantConfigurationValueChangeNotAllowed",
	"locked",
	"stopRolloutFailed",
	"action.notCancelable",
	"action.notForceQuitable",
	"action.notDeletable",
	"quota.tooManyEntries",
	"quota.fileSizeExceeded",
	"quota.storageExceeded",
	"artifact.binaryDeleted",
	"rest.body.notReadable",
	"repo.constraintViolation",
	"rest.param.rsqlParamSyntax",
	"rest.param.rsqlInvalidField",
	"rest.param.sortParamSyntax",
	"rest.param.invalidField",
	"rest.param.invalidDirection",
	"distributionset.incomplete",
	"distributionset.invalid",
	"distributionset.type.undefined",
	"distributionset.modules.unsupported",
	"distributionset.creationFailed.missingModule",
	"target.type.incompatible",
	"target.type.keyOrNameRequired",
	"rollout.illegalState",
	"configValueInvalid",
	"configKeyInvalid",
	"maintenanceScheduleInvalid",
	"repo.invalidTargetAttributes",
	"repo.invalidAutoAssignActionType",
	"multiAssignmentNotEnabled",
	"artifact.uploadFailed.checksum.md5.match",
	"artifact.uploadFailed.checksum.sha1.match",
	"artifact.uploadFailed.checksum.sha256.match",
	"artifact.encryptionNotSupported",
	"repo.tenantNotExists",
	"artifact.uploadFailed",
	"artifact.deleteFailed",
	"artifact.loadFailed",
	"repo.genericError",
	"payloadTooLarge",
	"serviceUnavailable",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const ERROR_CODE_PREFIX = "hawkbit.server.error.";

/** Exhaustive: adding a code without a status does not compile. */
export function codeToStatus(
	code: ErrorCode,
): 400 | 403 | 404 | 405 | 409 | 410 | 413 | 423 | 429 | 500 | 503 {
	switch (code) {
		case "repo.entityNotFound":
		case "deleted":
			return 404;
		case "repo.entityAlreadyExists":
		case "repo.concurrentModification":
		case "repo.autoConfAlreadyActive":
		case "target.type.used":
			return 409;
		case "repo.entityReadOnly":
		case "insufficientPermission":
		case "repo.tenantConfigurationValueChangeNotAllowed":
			return 403;
		case "locked":
		case "stopRolloutFailed":
			return 423;
		case "action.notCancelable":
		case "action.notForceQuitable":
		case "action.notDeletable":
			return 405;
		case "quota.tooManyEntries":
		case "quota.fileSizeExceeded":
		case "quota.storageExceeded":
			return 429;
		case "artifact.binaryDeleted":
			return 410;
		case "payloadTooLarge":
			return 413;
		case "rest.body.notReadable":
		case "repo.constraintViolation":
		case "rest.param.rsqlParamSyntax":
		case "rest.param.rsqlInvalidField":
		case "rest.param.sortParamSyntax":
		case "rest.param.invalidField":
		case "rest.param.invalidDirection":
		case "distributionset.incomplete":
		case "distributionset.invalid":
		case "distributionset.type.undefined":
		case "distributionset.modules.unsupported":
		case "distributionset.creationFailed.missingModule":
		case "target.type.incompatible":
		case "target.type.keyOrNameRequired":
		case "rollout.illegalState":
		case "configValueInvalid":
		case "configKeyInvalid":
		case "maintenanceScheduleInvalid":
		case "repo.invalidTargetAttributes":
		case "repo.invalidAutoAssignActionType":
		case "multiAssignmentNotEnabled":
		case "artifact.uploadFailed.checksum.md5.match":
		case "artifact.uploadFailed.checksum.sha1.match":
		case "artifact.uploadFailed.checksum.sha256.match":
		case "artifact.encryptionNotSupported":
		case "repo.tenantNotExists":
			return 400;
		case "artifact.uploadFailed":
		case "artifact.deleteFailed":
		case "artifact.loadFailed":
		case "repo.genericError":
			return 500;
		case "serviceUnavailable":
			return 503;
	}
}

const EXC = "org.eclipse.hawkbit.repository.exception.";
const REST_EXC = "org.eclipse.hawkbit.rest.exception.";

/** The Java class hawkBit reports in `exceptionClass`; clients sometimes switch on it. */
export function codeToExceptionClass(code: ErrorCode): string {
	switch (code) {
		case "repo.entityNotFound":
			return `${EXC}EntityNotFoundException`;
		case "deleted":
			return `${EXC}EntityDeletedException`;
		case "repo.entityAlreadyExists":
			return `${EXC}EntityAlreadyExistsException`;
		case "repo.concurrentModification":
			return `${EXC}ConcurrentModificationException`;
		case "repo.autoConfAlreadyActive":
			return `${EXC}AutoConfirmationAlreadyActiveException`;
		case "target.type.used":
			return `${EXC}TargetTypeInUseException`;
		case "repo.entityReadOnly":
			return `${EXC}EntityReadOnlyException`;
		case "insufficientPermission":
			return `${EXC}InsufficientPermissionException`;
		case "repo.tenantConfigurationValueChangeNotAllowed":
			return `${EXC}TenantConfigurationValueChangeNotAllowedException`;
		case "locked":
			return `${EXC}LockedException`;
		case "stopRolloutFailed":
			return `${EXC}StopRolloutException`;
		case "action.notCancelable":
			return `${EXC}CancelActionNotAllowedException`;
		case "action.notForceQuitable":
			return `${EXC}ForceQuitActionNotAllowedException`;
		case "action.notDeletable":
			return `${EXC}DeleteActionNotAllowedException`;
		case "quota.tooManyEntries":
			return `${EXC}AssignmentQuotaExceededException`;
		case "quota.fileSizeExceeded":
			return `${EXC}FileSizeQuotaExceededException`;
		case "quota.storageExceeded":
			return `${EXC}StorageQuotaExceededException`;
		case "artifact.binaryDeleted":
			return `${EXC}ArtifactBinaryGoneException`;
		case "rest.body.notReadable":
			return `${REST_EXC}MessageNotReadableException`;
		case "repo.constraintViolation":
			return `${EXC}ConstraintViolationException`;
		case "rest.param.rsqlParamSyntax":
			return `${EXC}RSQLParameterSyntaxException`;
		case "rest.param.rsqlInvalidField":
			return `${EXC}RSQLParameterUnsupportedFieldException`;
		case "rest.param.sortParamSyntax":
			return `${REST_EXC}SortParameterSyntaxErrorException`;
		case "rest.param.invalidField":
			return `${REST_EXC}SortParameterUnsupportedFieldException`;
		case "rest.param.invalidDirection":
			return `${REST_EXC}SortParameterUnsupportedDirectionException`;
		case "distributionset.incomplete":
			return `${EXC}IncompleteDistributionSetException`;
		case "distributionset.invalid":
			return `${EXC}InvalidDistributionSetException`;
		case "distributionset.type.undefined":
			return `${EXC}DistributionSetTypeUndefinedException`;
		case "distributionset.modules.unsupported":
			return `${EXC}UnsupportedSoftwareModuleForThisDistributionSetException`;
		case "distributionset.creationFailed.missingModule":
			return `${EXC}DistributionSetCreationFailedMissingMandatoryModuleException`;
		case "target.type.incompatible":
			return `${EXC}IncompatibleTargetTypeException`;
		case "target.type.keyOrNameRequired":
			return `${EXC}TargetTypeKeyOrNameRequiredException`;
		case "rollout.illegalState":
			return `${EXC}RolloutIllegalStateException`;
		case "configValueInvalid":
			return `${EXC}TenantConfigurationValidatorException`;
		case "configKeyInvalid":
			return `${EXC}InvalidTenantConfigurationKeyException`;
		case "maintenanceScheduleInvalid":
			return `${EXC}InvalidMaintenanceScheduleException`;
		case "repo.invalidTargetAttributes":
			return `${EXC}InvalidTargetAttributeException`;
		case "repo.invalidAutoAssignActionType":
			return `${EXC}InvalidAutoAssignActionTypeException`;
		case "multiAssignmentNotEnabled":
			return `${EXC}MultiAssignmentIsNotEnabledException`;
		case "artifact.uploadFailed.checksum.md5.match":
			return `${EXC}InvalidMD5HashException`;
		case "artifact.uploadFailed.checksum.sha1.match":
			return `${EXC}InvalidSHA1HashException`;
		case "artifact.uploadFailed.checksum.sha256.match":
			return `${EXC}InvalidSHA256HashException`;
		case "artifact.encryptionNotSupported":
			return `${EXC}ArtifactEncryptionUnsupportedException`;
		case "repo.tenantNotExists":
			return `${EXC}TenantNotExistException`;
		case "artifact.uploadFailed":
			return `${EXC}ArtifactUploadFailedException`;
		case "artifact.deleteFailed":
			return `${EXC}ArtifactDeleteFailedException`;
		case "artifact.loadFailed":
			return `${EXC}ArtifactBinaryNotFoundException`;
		case "repo.genericError":
			return "org.eclipse.hawkbit.exception.GenericSpServerException";
		case "payloadTooLarge":
			return `${REST_EXC}FileSizeExceededException`;
		case "serviceUnavailable":
			return "org.eclipse.hawkbit.exception.ServiceUnavailableException";
	}
}

/** hawkBit's ExceptionInfo body. */
export type ExceptionInfo = {
	exceptionClass: string;
	errorCode: string;
	message: string;
	info?: Record<string, unknown>;
};

export function exceptionInfo(
	code: ErrorCode,
	message: string,
	info?: Record<string, unknown>,
): ExceptionInfo {
	const body: ExceptionInfo = {
		exceptionClass: codeToExceptionClass(code),
		errorCode: ERROR_CODE_PREFIX + code,
		message,
	};
	if (info && Object.keys(info).length > 0) {
		body.info = info;
	}
	return body;
}

/**
 * A domain failure, free of HTTP. Query modules and domain rules throw it; the HTTP layer turns it
 * into hawkBit's error body with `codeToStatus`.
 */
export class DomainError extends Error {
	constructor(
		readonly code: ErrorCode,
		message: string,
		readonly info?: Record<string, unknown>,
	) {
		super(message);
		this.name = "DomainError";
	}
}

/** hawkBit's EntityNotFoundException message and info. */
export function entityNotFound(type: string, entityId: string | number): DomainError {
	return new DomainError(
		"repo.entityNotFound",
		`${type} with given identifier {${entityId}} does not exist.`,
		{ type, entityId },
	);
}
