import Foundation
@testable import SaniServer
import XCTest

/// `openapi.yaml` is the contract: the router and the document list the same operations.
final class ConformanceTests: XCTestCase {
    func testEveryRouteIsInTheSpecAndEveryOperationIsRouted() throws {
        let document = try OpenAPIDocument.load()
        var c = ServerConfiguration()
        c.dataDirectory = try TestServer.temporaryFolder("routes").path
        let service = try SanitizationService(configuration: c, executor: FakeExecutor())
        let routes = Set(service.makeRouter().routes.map { route -> String in
            let path = route.path.description
            return "\(route.method.rawValue) \(path.hasPrefix("/") ? path : "/" + path)"
        })
        XCTAssertEqual(routes.subtracting(document.operations), [], "routes missing from openapi.yaml")
        XCTAssertEqual(document.operations.subtracting(routes), [], "operations in openapi.yaml without a route")
    }

    func testSchemaValidatorCatchesViolations() throws {
        let document = try OpenAPIDocument.load()
        let validator = JSONSchemaValidator(document: document)
        let schema = try XCTUnwrap(document.resolve("#/components/schemas/File"))
        let good = try JSONDecoder().decode(JSONValue.self, from: Data("""
            {"id":"f","name":"n","kind":"file","source":"upload","size":3,"sha256":"x","createdAt":"2026-01-01T00:00:00Z"}
            """.utf8))
        XCTAssertEqual(validator.validate(good, against: schema), [])
        let bad = try JSONDecoder().decode(JSONValue.self, from: Data("""
            {"id":"f","name":"n","kind":"blob","source":"upload","size":"3","sha256":"x","extra":1}
            """.utf8))
        let errors = validator.validate(bad, against: schema)
        XCTAssertEqual(errors.count, 4, "\(errors)")
    }
}
