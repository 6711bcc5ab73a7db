import CognateModel
import Foundation

/// Custom authentication (AuthFlow CUSTOM_AUTH), as Cognito runs it: the pool's
/// DefineAuthChallenge trigger decides, from the list of challenges answered so far, whether to
/// issue tokens, fail, or ask another challenge; CreateAuthChallenge makes each
/// CUSTOM_CHALLENGE (public parameters for the app, private ones kept for the check);
/// VerifyAuthChallengeResponse judges the answer. SRP_A in the first request puts the password
/// (PASSWORD_VERIFIER) within reach of the flow. The state between calls is sealed into the
/// Session: the private parameters never reach the app, any node can go on, and each session
/// is good for one answer.
extension SignInService {
    /// One entry of the `session` list the triggers see (Cognito's ChallengeResult).
    struct CustomChallengeResult: Codable, Equatable {
        var challengeName: String
        var challengeResult: Bool
        var challengeMetadata: String?
    }

    /// What a custom flow carries from one answer to the next.
    struct CustomAuthState: Codable {
        var poolId: String
        var clientId: String
        /// The user's sub, or the phantom's for a name no one holds (where the client hides that).
        var sub: UUID
        /// The name the flow was begun with.
        var username: String
        var userFound: Bool
        var results: [CustomChallengeResult]
        /// The challenge this session answers: CUSTOM_CHALLENGE or PASSWORD_VERIFIER.
        var challenge: String
        /// CreateAuthChallenge's privateChallengeParameters, for VerifyAuthChallengeResponse.
        var privateParameters: [String: String]?
        var challengeMetadata: String?
        /// SRP_A from the first request, for a PASSWORD_VERIFIER the flow asks for.
        var srpA: String?
        /// PASSWORD_VERIFIER: the SECRET_BLOCK the answer must quote.
        var secretBlockDigest: String?
        /// The whole flow's end (the client's AuthSessionValidity from its start).
        var expiresAt: Date
    }

    static let customContext = "custom-auth-session"
    /// Challenges one flow may ask before it is ended: Cognate's bound on a define function
    /// that never decides.
    public static let maxCustomChallenges = 8

    /// InitiateAuth with CUSTOM_AUTH: DefineAuthChallenge is asked first, with an empty list, or
    /// with SRP_A when the app sent one.
    public func startCustom(pool: UserPool, client: AppClient, username: String, srpA: String?, clientMetadata: [String: String],
                            scopes: [String]) async throws -> SignInOutcome {
        guard let triggers = accounts.triggers, Triggers.has("DefineAuthChallenge", pool) else {
            throw SignInError.invalidParameter("Custom auth lambda trigger is not configured for the user pool.")
        }
        if let srpA {
            guard let a = BigNumber(hex: srpA), !a.modulo(CognitoSRP.n).isZero else { throw SignInError.invalidParameter("Invalid SRP_A") }
        }
        var user = try await store.user(in: pool, named: username)
        if let found = user, !found.enabled || found.status == .externalProvider {
            // a disabled or federated account has no custom sign-in; where users are hidden it is
            // run as a name no one holds, so the refusal does not tell it apart
            guard client.preventUserExistenceErrors else {
                throw SignInError.notAuthorized(found.enabled ? "Incorrect username or password." : "User is disabled.")
            }
            user = nil
        }
        if user == nil, !client.preventUserExistenceErrors { throw SignInError.userNotFound }
        // PreAuthentication sees the sign-in first, a name no one holds too (hidden users only get here)
        _ = try await triggers.call("PreAuthentication", source: "PreAuthentication_Authentication", pool: pool, userName: user?.username ?? username,
                                    clientId: client.clientId, request: ["userAttributes": user.map(Triggers.attributes) ?? [:],
                                                                         "validationData": clientMetadata, "userNotFound": user == nil])
        let state = CustomAuthState(
            poolId: pool.id, clientId: client.clientId, sub: user?.sub ?? phantoms.sub(pool: pool, name: username),
            username: user?.username ?? username, userFound: user != nil,
            results: srpA == nil ? [] : [CustomChallengeResult(challengeName: "SRP_A", challengeResult: true)],
            challenge: "", srpA: srpA, expiresAt: now().addingTimeInterval(Double(client.authSessionValidity) * 60))
        return try await nextCustomStep(state, user: user, pool: pool, client: client, clientMetadata: clientMetadata, scopes: scopes)
    }

    /// RespondToAuthChallenge within a custom flow: CUSTOM_CHALLENGE's ANSWER, or the
    /// PASSWORD_VERIFIER the flow asked for.
    public func answerCustom(pool: UserPool, client: AppClient, challenge: String, session: String, responses: [String: String],
                             clientMetadata: [String: String], scopes: [String]) async throws -> SignInOutcome {
        guard var state = masterKey.openToken(session, as: CustomAuthState.self, context: Self.customContext),
            state.poolId == pool.id, state.clientId == client.clientId, state.challenge == challenge, state.expiresAt > now()
        else { throw SignInError.invalidSession }
        // what the answer needs is checked before the session is spent: a malformed answer may be sent again
        let answer = challenge == "PASSWORD_VERIFIER" ? nil : try AuthParameter.require("ANSWER", responses)
        let proof = challenge == "PASSWORD_VERIFIER"
            ? (block: try AuthParameter.require("PASSWORD_CLAIM_SECRET_BLOCK", responses), timestamp: try AuthParameter.require("TIMESTAMP", responses),
               signature: try AuthParameter.require("PASSWORD_CLAIM_SIGNATURE", responses))
            : nil
        if let proof, SecretDigest.sha256Hex(proof.block) != state.secretBlockDigest { throw SignInError.invalidSession }
        if let named = responses["USERNAME"], !named.isEmpty, named != state.username {
            // the answer is for the user the flow began with, by any of its names
            guard state.userFound, try await store.user(in: pool, named: named)?.sub == state.sub else { throw SignInError.invalidSession }
        }
        guard try await store.claimOnce("custom:" + SecretDigest.sha256Hex(session), until: state.expiresAt) else {
            throw SignInError.invalidSession
        }
        var user = state.userFound ? try await store.user(poolId: pool.id, sub: state.sub) : nil
        if let found = user, !found.enabled { throw SignInError.notAuthorized("User is disabled.") }
        if state.userFound, user == nil { throw SignInError.notAuthorized("Incorrect username or password.") }
        if let proof {
            // a wrong password ends the flow at once, counted towards the lockout as any other
            let proven = try await proveSRP(pool: pool, client: client, secretBlock: proof.block, timestamp: proof.timestamp, signature: proof.signature)
            guard proven.sub == state.sub, state.userFound else { throw SignInError.notAuthorized("Incorrect username or password.") }
            user = proven
            state.results.append(CustomChallengeResult(challengeName: "PASSWORD_VERIFIER", challengeResult: true))
        } else if let answer {
            let verdict = try await accounts.triggers?.call(
                "VerifyAuthChallengeResponse", source: "VerifyAuthChallengeResponse_Authentication", pool: pool,
                userName: user?.username ?? state.username, clientId: client.clientId,
                request: ["userAttributes": user.map(Triggers.attributes) ?? [:], "privateChallengeParameters": state.privateParameters ?? [:],
                          "challengeAnswer": answer, "clientMetadata": clientMetadata, "userNotFound": !state.userFound])
            guard let verdict else { throw TriggerError.unreachable(trigger: "VerifyAuthChallengeResponse", reason: "the trigger is not configured") }
            let correct: Bool
            switch verdict["answerCorrect"] {
            case nil, is NSNull: correct = false
            case let flag as Bool: correct = flag
            default: throw TriggerError.unreadable(trigger: "VerifyAuthChallengeResponse")
            }
            state.results.append(CustomChallengeResult(challengeName: "CUSTOM_CHALLENGE", challengeResult: correct,
                                                       challengeMetadata: state.challengeMetadata))
        }
        return try await nextCustomStep(state, user: user, pool: pool, client: client, clientMetadata: clientMetadata, scopes: scopes)
    }

    /// Asks DefineAuthChallenge what follows the challenges answered so far, and does it.
    func nextCustomStep(_ current: CustomAuthState, user: User?, pool: UserPool, client: AppClient, clientMetadata: [String: String],
                        scopes: [String]) async throws -> SignInOutcome {
        guard let triggers = accounts.triggers else { throw SignInError.invalidParameter("Custom auth lambda trigger is not configured for the user pool.") }
        let refused = SignInError.notAuthorized("Incorrect username or password.")
        let steps = current.results.contains { $0.challengeName == "PASSWORD_VERIFIER" } ? [AuthEvent.Step(.password, true)] : []
        func failed() async -> SignInError {
            await events.record(.signIn, .fail, poolId: pool.id, sub: current.sub, clientId: client.clientId, steps: steps)
            return refused
        }
        let sessionList = current.results.map { result -> [String: Any] in
            ["challengeName": result.challengeName, "challengeResult": result.challengeResult,
             "challengeMetadata": result.challengeMetadata ?? NSNull()]
        }
        let attributes = user.map(Triggers.attributes) ?? [:]
        let userName = user?.username ?? current.username
        guard let decision = try await triggers.call(
            "DefineAuthChallenge", source: "DefineAuthChallenge_Authentication", pool: pool, userName: userName, clientId: client.clientId,
            request: ["userAttributes": attributes, "session": sessionList, "clientMetadata": clientMetadata, "userNotFound": !current.userFound])
        else { throw SignInError.invalidParameter("Custom auth lambda trigger is not configured for the user pool.") }
        func flag(_ name: String) throws -> Bool {
            guard let value = decision[name], !(value is NSNull) else { return false }
            guard let flag = value as? Bool else { throw TriggerError.unreadable(trigger: "DefineAuthChallenge") }
            return flag
        }
        if try flag("failAuthentication") { throw await failed() }
        if try flag("issueTokens") {
            // only a real user whose last challenge was answered rightly gets tokens, whatever the
            // function says (SRP_A alone proves nothing)
            guard let user, current.userFound, let last = current.results.last, last.challengeResult, last.challengeName != "SRP_A" else {
                throw await failed()
            }
            return try await customProven(user: user, pool: pool, client: client, steps: steps, scopes: scopes)
        }
        guard current.results.count < Self.maxCustomChallenges else { throw await failed() }
        var next = current
        next.privateParameters = nil
        next.challengeMetadata = nil
        next.secretBlockDigest = nil
        switch decision["challengeName"] as? String {
        case "CUSTOM_CHALLENGE":
            guard Triggers.has("CreateAuthChallenge", pool) else {
                throw TriggerError.unreachable(trigger: "CreateAuthChallenge", reason: "the trigger is not configured")
            }
            let made = try await triggers.call(
                "CreateAuthChallenge", source: "CreateAuthChallenge_Authentication", pool: pool, userName: userName, clientId: client.clientId,
                request: ["userAttributes": attributes, "challengeName": "CUSTOM_CHALLENGE", "session": sessionList,
                          "clientMetadata": clientMetadata, "userNotFound": !current.userFound]) ?? [:]
            guard let publicParameters = Self.textMap(made["publicChallengeParameters"]),
                let privateParameters = Self.textMap(made["privateChallengeParameters"]),
                made["challengeMetadata"] == nil || made["challengeMetadata"] is NSNull || made["challengeMetadata"] is String
            else { throw TriggerError.unreadable(trigger: "CreateAuthChallenge") }
            next.challenge = "CUSTOM_CHALLENGE"
            next.privateParameters = privateParameters
            next.challengeMetadata = made["challengeMetadata"] as? String
            var parameters = publicParameters
            parameters["USERNAME"] = userName
            return .challenge(name: "CUSTOM_CHALLENGE", session: try sealCustom(next), parameters: parameters)
        case "PASSWORD_VERIFIER":
            // the password can be asked only where the app began with SRP_A, and once
            guard let srpA = current.srpA, !current.results.contains(where: { $0.challengeName == "PASSWORD_VERIFIER" }) else {
                throw TriggerError.unreadable(trigger: "DefineAuthChallenge")
            }
            guard case .challenge(_, _, let parameters) = try await startSRP(pool: pool, client: client, username: userName, srpA: srpA),
                let block = parameters["SECRET_BLOCK"]
            else { throw SignInError.invalidSession }
            next.challenge = "PASSWORD_VERIFIER"
            next.secretBlockDigest = SecretDigest.sha256Hex(block)
            return .challenge(name: "PASSWORD_VERIFIER", session: try sealCustom(next), parameters: parameters)
        default:
            throw TriggerError.unreadable(trigger: "DefineAuthChallenge")
        }
    }

    /// The flow's end: what the account's state allows (as after a password), then tokens.
    /// The custom flow stands in for the second factor too: the define function decides it.
    func customProven(user: User, pool: UserPool, client: AppClient, steps: [AuthEvent.Step], scopes: [String]) async throws -> SignInOutcome {
        let eventId = UUID()
        do {
            switch try afterPassword(user: user, pool: pool, client: client, eventId: eventId) {
            case .unconfirmed: throw SignInError.userNotConfirmed
            case .newPassword(let session):
                await events.record(.signIn, .inProgress, user: user, clientId: client.clientId, steps: steps, id: eventId)
                return try newPasswordChallenge(user: user, pool: pool, client: client, session: session)
            case .confirmed:
                let issued = try await tokensAfterSignIn(user: user, pool: pool, client: client, scopes: scopes)
                await events.record(.signIn, .pass, user: user, clientId: client.clientId, steps: steps, id: eventId)
                return .tokens(issued)
            }
        } catch {
            await events.record(.signIn, .fail, user: user, clientId: client.clientId, steps: steps, id: eventId)
            throw error
        }
    }

    func sealCustom(_ state: CustomAuthState) throws -> String {
        try masterKey.sealToken(state, context: Self.customContext)
    }

    /// A map of text as Create answers its parameters (absent is empty); nil for anything else.
    static func textMap(_ value: Any?) -> [String: String]? {
        guard let value, !(value is NSNull) else { return [:] }
        guard let object = value as? [String: Any] else { return nil }
        var map: [String: String] = [:]
        for (key, item) in object {
            guard let text = item as? String else { return nil }
            map[key] = text
        }
        return map
    }
}

/// A required entry of AuthParameters or ChallengeResponses.
enum AuthParameter {
    static func require(_ name: String, _ parameters: [String: String]) throws -> String {
        guard let value = parameters[name], !value.isEmpty else { throw SignInError.invalidParameter("Missing required parameter \(name)") }
        return value
    }
}
