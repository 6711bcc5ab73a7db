@testable import CognateCore
import Testing

@Suite struct FormEncodingTests {
    func parameters(_ body: String) throws -> [String: String] {
        try FormEncoding.parameters(Array(body.utf8))
    }

    @Test func decodesPlusPercentAndUTF8() throws {
        let form = try parameters("grant_type=refresh_token&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcb&scope=openid+email&name=J%C3%B6rg")
        #expect(form == ["grant_type": "refresh_token", "redirect_uri": "http://localhost:3000/cb", "scope": "openid email", "name": "Jörg"])
    }

    @Test func brokenEscapesAndStrayBytesStayReadable() throws {
        #expect(try parameters("a=100%&b=%zz&c=%4") == ["a": "100%", "b": "%zz", "c": "%4"])
        #expect(try parameters("a=%FF") == ["a": "\u{FFFD}"])
        #expect(try parameters("a%3Db=c") == ["a=b": "c"], "an encoded = belongs to the name")
    }

    @Test func emptyValuesCountAsOmittedAndEmptyPairsAreSkipped() throws {
        #expect(try parameters("client_secret=&client_id=app&&=x&scope") == ["client_id": "app"])
        #expect(try parameters("") == [:])
        #expect(try parameters("state=&state=s") == ["state": "s"], "an empty repeat is no repeat")
    }

    @Test func aRepeatedParameterIsRefused() {
        #expect(throws: FormEncoding.Failure.repeated("grant_type")) {
            try parameters("grant_type=refresh_token&grant_type=client_credentials")
        }
    }

    @Test func encodedPairsReadBackAsSent() throws {
        let pairs = [("grant_type", "authorization_code"), ("redirect_uri", "https://app.example/cb?x=1&y=2"), ("note", "a b+c/é~")]
        let body = FormEncoding.encode(pairs)
        #expect(body == "grant_type=authorization_code&redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1%26y%3D2&note=a%20b%2Bc%2F%C3%A9~")
        #expect(try FormEncoding.parameters(Array(body.utf8)) == Dictionary(uniqueKeysWithValues: pairs))
    }
}
