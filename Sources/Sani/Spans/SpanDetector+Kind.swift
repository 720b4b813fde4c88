import Foundation

extension SpanDetector {
    /// The built-in detectors, one per kind of shaped identifier (HIPAA Safe Harbor), so that a caller can
    /// run a subset. The raw value is the name used on the command line and in the API.
    public enum Kind: String, Sendable, Codable, CaseIterable, Hashable {
        /// Dates finer than a year: 03/14/2021, 2021-03-14, March 14, 2021, 14 March, Mar 14th, 3/14.
        case date
        /// Telephone, fax and pager numbers (labels PHONE and FAX).
        case phone
        /// E-mail addresses.
        case email
        /// US social security numbers.
        case ssn
        /// Medical record numbers after MRN, MR#, medical record number...
        case medicalRecord = "medical-record"
        /// Insurance, policy, member and health-plan numbers.
        case healthPlan = "health-plan"
        /// Account numbers.
        case account
        /// Licence and certificate numbers (driver's licence, DEA...).
        case license
        /// Device serial numbers.
        case device
        /// Other ids after an ID keyword, and bare runs of six digits or more.
        case idNumber = "id-number"
        /// Web addresses.
        case url
        /// IPv4 and IPv6 addresses.
        case ipAddress = "ip-address"
        /// ZIP codes after a US state or the word "zip".
        case zip
        /// Ages over 89.
        case age

        /// The i2b2/n2c2 labels the detector gives its spans.
        public var labels: [String] {
            switch self {
            case .date: return ["DATE"]
            case .phone: return ["PHONE", "FAX"]
            case .email: return ["EMAIL"]
            case .ssn: return ["SSN"]
            case .medicalRecord: return ["MEDICALRECORD"]
            case .healthPlan: return ["HEALTHPLAN"]
            case .account: return ["ACCOUNT"]
            case .license: return ["LICENSE"]
            case .device: return ["DEVICE"]
            case .idNumber: return ["IDNUM"]
            case .url: return ["URL"]
            case .ipAddress: return ["IPADDR"]
            case .zip: return ["ZIP"]
            case .age: return ["AGE"]
            }
        }

        /// Reads a comma-separated list of kinds ("date,phone,zip"); `all` stands for every kind.
        /// Throws `SaniError.invalidArgument` naming the unknown kind and the valid ones.
        public static func parseList(_ list: String) throws -> Set<Kind> {
            var kinds = Set<Kind>()
            for item in list.split(separator: ",") {
                let name = item.trimmingCharacters(in: .whitespaces).lowercased()
                if name.isEmpty { continue }
                if name == "all" { kinds.formUnion(allCases); continue }
                if name == "none" { continue }
                guard let kind = Kind(rawValue: name) else {
                    let valid = allCases.map(\.rawValue).joined(separator: ", ")
                    throw SaniError.invalidArgument("unknown detector \"\(name)\" (valid: all, none, \(valid))")
                }
                kinds.insert(kind)
            }
            return kinds
        }
    }
}
