import Foundation

/// A short code sent to a user to prove an email address or phone number, or to reset a
/// password. Only a keyed hash is stored. One live code per user and purpose: a new one
/// replaces the old, and the send window (`sentInWindow` since `windowStart`) carries over so
/// resends can be limited.
public struct VerificationCode: Sendable, Equatable {
    public enum Purpose: String, Sendable, CaseIterable {
        case signUp = "sign-up"
        case resetPassword = "reset-password"
        case verifyEmail = "verify:email"
        case verifyPhoneNumber = "verify:phone_number"
        /// A sign-in's second factor by text message or email (SMS_MFA, EMAIL_OTP).
        case mfaSMS = "mfa:sms"
        case mfaEmail = "mfa:email"
        /// Counts authenticator codes (SOFTWARE_TOKEN_MFA) tried in a five-minute window; holds no code.
        case mfaTOTPAttempts = "mfa:totp-attempts"
        /// Counts wrong passwords (every password path: sign-in, SRP, the hosted form,
        /// ChangePassword) for the lockout; holds no code. `attempts` are the failures since the
        /// counter last reset, `windowStart` the last one, `lockedUntil` the lockout's end.
        case passwordAttempts = "password-attempts"
    }

    public var poolId: String
    public var userSub: UUID
    public var purpose: Purpose
    public var codeHash: String
    public var expiresAt: Date
    /// Attempts at this code so far; each is counted before it is judged, so racing guesses
    /// cannot outrun the limit.
    public var attempts: Int
    public var sentInWindow: Int
    public var windowStart: Date
    public var createdAt: Date
    /// For an attribute change waiting for verification: the new value, applied when the code is.
    public var pendingValue: String?
    /// For password attempts: no password is checked before this moment.
    public var lockedUntil: Date?

    public init(
        poolId: String, userSub: UUID, purpose: Purpose, codeHash: String, expiresAt: Date, attempts: Int = 0,
        sentInWindow: Int = 1, windowStart: Date, createdAt: Date, pendingValue: String? = nil, lockedUntil: Date? = nil
    ) {
        self.lockedUntil = lockedUntil
        self.pendingValue = pendingValue
        self.poolId = poolId
        self.userSub = userSub
        self.purpose = purpose
        self.codeHash = codeHash
        self.expiresAt = expiresAt
        self.attempts = attempts
        self.sentInWindow = sentInWindow
        self.windowStart = windowStart
        self.createdAt = createdAt
    }
}
