import FluentKit

/// The schema, in order. A migration that has shipped is never edited; change the schema
/// with a new one at the end.
public enum CognateMigrations {
    public static let all: [any Migration] = [
        M001_CreateUserPools(), M002_CreateAppClients(), M003_CreateUsers(), M004_CreateUserIdentifiers(),
        M005_CreateGroups(), M006_CreateGroupMembers(), M007_CreateResourceServers(), M008_CreateSigningKeys(),
        M009_CreateAuthorizationCodes(), M010_CreateAuthorizationCodeUses(), M011_CreateSessions(),
        M012_CreateRefreshTokens(), M013_CreateRefreshTokenRotations(), M014_CreateTokenRevocations(),
        M015_CreateAdminCredentials(), M016_CreateSettings(), M017_CreateOutbox(), M018_CreateDomains(), M019_CreateSingleUses(),
        M020_CreateVerificationCodes(), M021_AddUserMFA(), M022_CreateRateCounters(), M023_AddLookupIndexes(),
        M024_CreateUserCodes(), M025_AddOutboxLease(), M026_CreateAuthEvents(),
        M027_CreateAuthorizationRequests(), M028_CreateIdentityProviders(),
        M029_AddSessionFederation(), M030_CreateUICustomizations(), M031_CreateManagedLoginBrandings(), M032_AddOutboxLocale(),
        M033_CreateIdentityPools(), M034_CreateUserImportJobs(), M035_AddUserFilterIndexes(), M036_CreateDevices(), M037_AddDomainManagedLoginVersion(), M038_CreateWebAuthnCredentials(),
        M039_AddRefreshTokenDevice(),
    ]
}
