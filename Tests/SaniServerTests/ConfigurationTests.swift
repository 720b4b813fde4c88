import Foundation
import SaniServer
import XCTest

final class ConfigurationTests: XCTestCase {
    func testShippedConfigFileDocumentsTheDefaults() throws {
        let file = OpenAPIDocument.repositoryRoot.appendingPathComponent("config/sani.yaml")
        let loaded = try ConfigurationLoader.load(file: file, environment: [:])
        XCTAssertEqual(loaded, ServerConfiguration())
        let text = try String(contentsOf: file, encoding: .utf8)
        for setting in SettingCatalog.all {
            let name = String(setting.path.split(separator: ".").last ?? "")
            XCTAssertTrue(text.contains("  \(name):"), "config/sani.yaml does not document \(setting.path)")
        }
    }

    func testEnvironmentOverridesFileAndFlagsOverrideEnvironment() throws {
        let folder = try TestServer.temporaryFolder("config")
        let file = folder.appendingPathComponent("sani.yaml")
        try Data("server:\n  port: 9000\n  host: 127.0.0.2\nuploads:\n  maxBytes: 5GiB\nauth:\n  keys:\n    - tenant: a\n      key: 0123456789abcdef0123\n".utf8).write(to: file)
        let c = try ConfigurationLoader.load(file: file, environment: ["SANI_SERVER_PORT": "9100", "SANI_WORKERS_CONCURRENCY": "2",
                                                                      "SANI_API_KEYS": "b:abcdefabcdefabcdef12"],
                                             overrides: [("server.port", "9200")])
        XCTAssertEqual(c.port, 9200)
        XCTAssertEqual(c.host, "127.0.0.2")
        XCTAssertEqual(c.workers, 2)
        XCTAssertEqual(c.maxUploadBytes, 5 << 30)
        XCTAssertEqual(c.apiKeys.map(\.tenant), ["a", "b"])
        XCTAssertEqual(SettingCatalog.setting(path: "storage.dataDirectory")?.environmentVariable, "SANI_STORAGE_DATA_DIRECTORY")
    }

    func testMistakesAreReportedWithTheSettingName() throws {
        XCTAssertThrowsError(try ConfigurationLoader.load(file: nil, environment: [:], overrides: [("server.prot", "1")])) {
            XCTAssertTrue("\($0)".contains("server.prot"))
        }
        XCTAssertThrowsError(try ConfigurationLoader.load(file: nil, environment: ["SANI_SERVER_PORT": "http"])) {
            XCTAssertTrue("\($0)".contains("server.port must be an integer"))
        }
        XCTAssertThrowsError(try ConfigurationLoader.load(file: nil, environment: ["SANI_API_KEYS": "a:short"])) {
            XCTAssertTrue("\($0)".contains("shorter than 16"))
        }
    }

    func testRefusesToServeOpenlyBeyondLoopback() throws {
        var c = ServerConfiguration()
        c.host = "0.0.0.0"
        c.dataDirectory = try TestServer.temporaryFolder("open").path
        XCTAssertThrowsError(try SanitizationService(configuration: c, executor: FakeExecutor())) {
            XCTAssertTrue("\($0)".contains("no API key"), "\($0)")
        }
        c.apiKeys = [ConfiguredAPIKey(tenant: "t", key: "0123456789abcdef0123")]
        XCTAssertNoThrow(try SanitizationService(configuration: c, executor: FakeExecutor()))
    }

    func testOpenModeOnLoopbackNeedsNoKey() async throws {
        let server = try await TestServer.start(executor: FakeExecutor(), keys: false)
        XCTAssertTrue(server.service.openAccess)
        let r = try await server.client(nil).send("GET", "/v1/jobs")
        XCTAssertEqual(r.status, 200)
        await server.stop()
    }
}
