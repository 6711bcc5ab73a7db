@testable import CognateMail
import Foundation
import Testing

@Suite struct MailMessageTests {
    static let date = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func messageHasHeadersAndABase64Body() throws {
        let text = try MailMessage.render(from: "no-reply@example.com", to: "ann@example.com", subject: "Your code",
                                          body: "Your code is 123456.", date: Self.date, messageID: "id@example.com")
        #expect(text.contains("From: no-reply@example.com\r\nTo: ann@example.com\r\nSubject: Your code\r\n"))
        #expect(text.contains("Date: Fri, 15 Jan 2027 08:00:00 +0000\r\n"))
        #expect(text.contains("Content-Transfer-Encoding: base64\r\n\r\n\(Data("Your code is 123456.".utf8).base64EncodedString())\r\n"))
        #expect(!text.contains("\n.\r\n"), "no line may end the DATA early")
        #expect(text.hasSuffix("\r\n"))
    }

    @Test func anHTMLPartGoesBesideTheTextWithItsImages() throws {
        let logo = Data([0x89, 0x50, 0x4E, 0x47, 1, 2, 3])
        let text = try MailMessage.render(from: "no-reply@example.com", to: "ann@example.com", subject: "Your code", body: "Your code is 123456.",
                                          html: .init(html: "<p>Your code is 123456.</p>", images: [.init(contentID: "logo@cognate", type: "image/png", data: logo)]),
                                          date: Self.date, messageID: "m1@example.com")
        let head = text.components(separatedBy: "\r\n\r\n")[0]
        #expect(head.contains("Content-Type: multipart/related; boundary=\"rel-m1examplecom\"; type=\"multipart/alternative\""))
        let parts = text.components(separatedBy: "--rel-m1examplecom")
        #expect(parts.count == 4 && parts[3].hasPrefix("--"), "two parts and the closing boundary")
        // the alternative: text first, then HTML (RFC 2046: the preferred one last)
        let plain = try #require(parts[1].range(of: "text/plain")), html = try #require(parts[1].range(of: "text/html"))
        #expect(plain.lowerBound < html.lowerBound)
        #expect(parts[1].contains(Data("<p>Your code is 123456.</p>".utf8).base64EncodedString()))
        #expect(parts[2].contains("Content-ID: <logo@cognate>") && parts[2].contains(logo.base64EncodedString()))
        // without images: multipart/alternative alone
        let plainer = try MailMessage.render(from: "a@example.com", to: "b@example.com", subject: "s", body: "b", html: .init(html: "<p>b</p>"),
                                             date: Self.date, messageID: "m2@x")
        #expect(plainer.contains("Content-Type: multipart/alternative; boundary=\"alt-m2x\"") && !plainer.contains("multipart/related"))
        #expect(throws: MailMessage.Problem.self) {
            try MailMessage.render(from: "a@example.com", to: "b@example.com", subject: "s", body: "b",
                                   html: .init(html: "x", images: [.init(contentID: "a>\r\nBcc: x@example.com", type: "image/png", data: logo)]),
                                   date: Self.date, messageID: "m3@x")
        }
    }

    @Test func nonASCIISubjectIsAnEncodedWord() throws {
        let text = try MailMessage.render(from: "a@example.com", to: "b@example.com", subject: "Ihr Passwort für Cognate",
                                          body: "x", date: Self.date, messageID: "m@x")
        #expect(text.contains("Subject: =?UTF-8?B?\(Data("Ihr Passwort für Cognate".utf8).base64EncodedString())?=\r\n"))
    }

    @Test func longBodiesWrapAt76() throws {
        let text = try MailMessage.render(from: "a@example.com", to: "b@example.com", subject: "s",
                                          body: String(repeating: "x", count: 500), date: Self.date, messageID: "m@x")
        let body = text.components(separatedBy: "\r\n\r\n")[1]
        #expect(body.components(separatedBy: "\r\n").allSatisfy { $0.count <= 76 })
    }

    @Test(arguments: ["victim@example.com\r\nBcc: all@example.com", "Subject\nInjected: yes"])
    func lineBreaksInHeadersAreRefused(_ value: String) {
        #expect(throws: MailMessage.Problem.self) {
            try MailMessage.render(from: "a@example.com", to: value, subject: "s", body: "b", date: Self.date, messageID: "m@x")
        }
        #expect(throws: MailMessage.Problem.self) {
            try MailMessage.render(from: "a@example.com", to: "b@example.com", subject: value, body: "b", date: Self.date, messageID: "m@x")
        }
    }

    @Test(arguments: ["no at sign", "<b@example.com>", "b@example.com> NOTIFY=x", "@example.com"])
    func undeliverableAddressesAreRefused(_ address: String) {
        #expect(throws: MailMessage.Problem.self) { try MailMessage.check(address: address) }
    }

    @Test func smtpURLsGiveSecurityPortAndCredentials() throws {
        let starttls = try #require(SMTPConfiguration(url: URL(string: "smtp+starttls://user%40corp:p%40ss@mail.example.com")!, from: "a@b.c"))
        #expect(starttls.security == .startTLS && starttls.port == 587 && starttls.username == "user@corp" && starttls.password == "p@ss")
        #expect(SMTPConfiguration(url: URL(string: "smtps://mail.example.com")!, from: "a@b.c")?.port == 465)
        #expect(SMTPConfiguration(url: URL(string: "smtp://mail.example.com:2525")!, from: "a@b.c")?.security == .plain)
        #expect(SMTPConfiguration(url: URL(string: "http://mail.example.com")!, from: "a@b.c") == nil)
        #expect(SMTPConnection.sniName("127.0.0.1") == nil && SMTPConnection.sniName("::1") == nil)
        #expect(SMTPConnection.sniName("mail.example.com") == "mail.example.com")
    }
}
