import Crypto
import Foundation

/// After a job succeeds: the downloadable files. Each top-level file of the sanitized folder, and the whole
/// folder as `model.tar`, with size and SHA-256 computed once here.
struct ArtifactBuilder {
    let layout: DataLayout
    static let archiveName = "model.tar"

    func build(jobId: String) throws -> [ArtifactRecord] {
        let output = layout.output(jobId)
        let folder = layout.artifacts(jobId)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var records: [ArtifactRecord] = []
        for name in try TarWriter.regularFiles(in: output) where !name.contains("/") {
            let url = output.appendingPathComponent(name)
            let digest = try FileDigest.sha256(of: url)
            records.append(ArtifactRecord(jobId: jobId, name: name, size: digest.size, sha256: digest.hex,
                                          path: layout.relative(url)))
        }
        let archive = folder.appendingPathComponent(Self.archiveName)
        var hasher = SHA256()
        var size: Int64 = 0
        try TarWriter().write(folder: output, to: archive) { data in
            hasher.update(data: data)
            size += Int64(data.count)
        }
        records.append(ArtifactRecord(jobId: jobId, name: Self.archiveName, size: size,
                                      sha256: APIKeyHasher.hex(hasher.finalize()), path: layout.relative(archive)))
        return records
    }
}
