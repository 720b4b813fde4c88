/// Places of the demo corpus: cities with their state and ZIP prefix, street names, and fictitious
/// hospitals and clinics (each in one of the cities, with a switchboard number in the 555 range).
enum DemoPlaces {
    /// A city: its name, its state's abbreviation and the first three digits of its ZIP codes.
    struct City: Sendable {
        let name: String
        let state: String
        let zipPrefix: String
    }

    /// A hospital or clinic of the demo world.
    struct Facility: Sendable {
        let name: String
        /// Index into `cities`.
        let city: Int
        /// The e-mail domain of its staff.
        let domain: String
    }

    static let cities: [City] = [
        City(name: "Springfield", state: "IL", zipPrefix: "627"),
        City(name: "Columbus", state: "OH", zipPrefix: "432"),
        City(name: "Portland", state: "OR", zipPrefix: "972"),
        City(name: "Albany", state: "NY", zipPrefix: "122"),
        City(name: "Tucson", state: "AZ", zipPrefix: "857"),
        City(name: "Madison", state: "WI", zipPrefix: "537"),
        City(name: "Raleigh", state: "NC", zipPrefix: "276"),
        City(name: "Boise", state: "ID", zipPrefix: "837"),
        City(name: "Omaha", state: "NE", zipPrefix: "681"),
        City(name: "Richmond", state: "VA", zipPrefix: "232"),
        City(name: "Fresno", state: "CA", zipPrefix: "937"),
        City(name: "Worcester", state: "MA", zipPrefix: "016"),
        City(name: "Savannah", state: "GA", zipPrefix: "314"),
        City(name: "Spokane", state: "WA", zipPrefix: "992"),
        City(name: "Lansing", state: "MI", zipPrefix: "489"),
        City(name: "Knoxville", state: "TN", zipPrefix: "379"),
        City(name: "Tulsa", state: "OK", zipPrefix: "741"),
        City(name: "Syracuse", state: "NY", zipPrefix: "132"),
        City(name: "El Paso", state: "TX", zipPrefix: "799"),
        City(name: "Des Moines", state: "IA", zipPrefix: "503"),
        City(name: "Burlington", state: "VT", zipPrefix: "054"),
        City(name: "Santa Fe", state: "NM", zipPrefix: "875"),
        City(name: "Providence", state: "RI", zipPrefix: "029"),
        City(name: "Charleston", state: "SC", zipPrefix: "294"),
        City(name: "Lexington", state: "KY", zipPrefix: "405"),
        City(name: "Reno", state: "NV", zipPrefix: "895"),
    ]

    static let streetNames = [
        "Maple", "Oak", "Cedar", "Elm", "Willow", "Birch", "Juniper", "Magnolia", "Chestnut", "Sycamore",
        "Lincoln", "Washington", "Franklin", "Jefferson", "Highland", "Lakeshore", "Ridge", "Meadow", "Orchard",
        "Harbor", "Mill", "Church", "Park", "Spring", "Sunset", "Hillcrest", "Riverbend", "Prospect", "Garfield",
        "Hawthorne",
    ]
    static let streetSuffixes = ["Street", "Avenue", "Road", "Lane", "Drive", "Court", "Boulevard", "Way", "Place"]

    /// Hospitals, where patients are admitted.
    static let hospitals: [Facility] = [
        Facility(name: "Riverside General Hospital", city: 0, domain: "riversidegeneral.example.org"),
        Facility(name: "St. Brigid Medical Center", city: 1, domain: "stbrigid.example.org"),
        Facility(name: "Lakeview Memorial Hospital", city: 2, domain: "lakeviewmemorial.example.org"),
        Facility(name: "Mercy Valley Hospital", city: 3, domain: "mercyvalley.example.org"),
        Facility(name: "Northgate Community Hospital", city: 4, domain: "northgate-health.example.org"),
        Facility(name: "Harbor Point Medical Center", city: 5, domain: "harborpoint.example.org"),
        Facility(name: "Cedar Ridge Regional Hospital", city: 6, domain: "cedarridge.example.org"),
        Facility(name: "Summit Heights Hospital", city: 7, domain: "summitheights.example.org"),
        Facility(name: "Oak Hollow Medical Center", city: 8, domain: "oakhollow.example.org"),
        Facility(name: "Bayside University Hospital", city: 9, domain: "bayside-uh.example.org"),
        Facility(name: "Pinecrest Regional Medical Center", city: 10, domain: "pinecrest.example.org"),
        Facility(name: "Willow Creek Hospital", city: 11, domain: "willowcreek.example.org"),
        Facility(name: "Saint Anselm Hospital", city: 12, domain: "stanselm.example.org"),
        Facility(name: "Granite Falls Medical Center", city: 13, domain: "granitefalls.example.org"),
        Facility(name: "Maple Grove Community Hospital", city: 14, domain: "maplegrove.example.org"),
        Facility(name: "Eastbrook General Hospital", city: 15, domain: "eastbrook.example.org"),
        Facility(name: "Red Mesa Medical Center", city: 18, domain: "redmesa.example.org"),
        Facility(name: "Prairie View Hospital", city: 19, domain: "prairieview.example.org"),
    ]

    /// Outpatient clinics, where follow-up visits happen and referrals go; the name says the specialty.
    static let clinics: [(facility: Facility, specialty: DemoSpecialty)] = [
        (Facility(name: "Riverside Cardiology Clinic", city: 0, domain: "riversidegeneral.example.org"), .cardiology),
        (Facility(name: "Lakeside Endocrinology", city: 2, domain: "lakeside-endo.example.com"), .endocrinology),
        (Facility(name: "Northgate Family Practice", city: 4, domain: "northgate-health.example.org"), .primaryCare),
        (Facility(name: "Harbor Point Pulmonary Associates", city: 5, domain: "harborpoint.example.org"), .pulmonology),
        (Facility(name: "Cedar Ridge Internal Medicine", city: 6, domain: "cedarridge.example.org"), .primaryCare),
        (Facility(name: "Bayside Orthopedic Group", city: 9, domain: "bayside-uh.example.org"), .orthopedics),
        (Facility(name: "Willow Creek Primary Care", city: 11, domain: "willowcreek.example.org"), .primaryCare),
        (Facility(name: "Summit Nephrology Group", city: 7, domain: "summitheights.example.org"), .nephrology),
        (Facility(name: "Oak Hollow Neurology Clinic", city: 8, domain: "oakhollow.example.org"), .neurology),
        (Facility(name: "Granite Falls Gastroenterology", city: 13, domain: "granitefalls.example.org"), .gastroenterology),
        (Facility(name: "Saint Anselm Heart Center", city: 12, domain: "stanselm.example.org"), .cardiology),
        (Facility(name: "Pinecrest Diabetes Center", city: 10, domain: "pinecrest.example.org"), .endocrinology),
        (Facility(name: "Eastbrook Infectious Disease Clinic", city: 15, domain: "eastbrook.example.org"), .infectiousDisease),
        (Facility(name: "Maple Grove Family Medicine", city: 14, domain: "maplegrove.example.org"), .primaryCare),
        (Facility(name: "Prairie View Lung Clinic", city: 19, domain: "prairieview.example.org"), .pulmonology),
        (Facility(name: "Red Mesa Kidney Center", city: 18, domain: "redmesa.example.org"), .nephrology),
        (Facility(name: "Mercy Valley Orthopedics", city: 3, domain: "mercyvalley.example.org"), .orthopedics),
        (Facility(name: "St. Brigid Neurology Associates", city: 1, domain: "stbrigid.example.org"), .neurology),
        (Facility(name: "Summit Digestive Health", city: 7, domain: "summitheights.example.org"), .gastroenterology),
        (Facility(name: "Lakeview Infectious Disease Associates", city: 2, domain: "lakeviewmemorial.example.org"), .infectiousDisease),
    ]
}
