import Hummingbird
import Synchronization

/// The methods each route template answers, so that a request for a known path with another method gets
/// `405 Method Not Allowed` and an `Allow` header instead of the router's 404.
final class RouteMethods: Sendable {
    private struct Template { var segments: [Substring]; var methods: Set<String> }
    private let templates = Mutex<[Template]>([])

    /// Records every route of the router (call once every route is registered).
    func record<Context>(_ router: Router<Context>) {
        var byPath: [String: Set<String>] = [:]
        for route in router.routes {
            let path = route.path.description
            byPath[path.hasPrefix("/") ? path : "/" + path, default: []].insert(route.method.rawValue)
        }
        let built = byPath.map { Template(segments: $0.key.split(separator: "/"), methods: $0.value) }
        templates.withLock { $0 = built }
    }

    /// The methods allowed on `path` (sorted), or nil when no route has that path. Like the router, a literal
    /// segment wins over a parameter (`/v1/files/fetch` is not `/v1/files/{fileId}`).
    func allowed(onPath path: String) -> [String]? {
        let parts = path.split(separator: "?", maxSplits: 1).first.map { $0.split(separator: "/") } ?? []
        let matches = templates.withLock { all in
            all.filter { t in
                t.segments.count == parts.count && zip(t.segments, parts).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
            }
        }
        func parameters(_ t: Template) -> Int { t.segments.filter { $0.hasPrefix("{") }.count }
        guard let fewest = matches.map(parameters).min() else { return nil }
        return matches.filter { parameters($0) == fewest }.reduce(into: Set<String>()) { $0.formUnion($1.methods) }.sorted()
    }
}
