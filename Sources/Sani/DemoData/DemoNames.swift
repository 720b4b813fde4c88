/// Fictitious first and last names for the demo corpus, of many origins, so that the tokenizer meets
/// names that are short and long, common and rare, with and without accents.
enum DemoNames {
    /// Fifty first names usually given to women.
    static let femaleFirst = [
        "Maria", "Aiko", "Fatima", "Olivia", "Priya", "Chloé", "Ngozi", "Ingrid", "Mei", "Sofia",
        "Amara", "Hannah", "Leila", "Yuki", "Isabel", "Anjali", "Grace", "Zainab", "Elena", "Siobhan",
        "Camila", "Keiko", "Abena", "Margaret", "Lucía", "Nadia", "Beatriz", "Hye-jin", "Rosa", "Emily",
        "Tamar", "Ayesha", "Linnea", "Dorothy", "Thandiwe", "Mariam", "Renée", "Svetlana", "Imani", "Chiara",
        "Esperanza", "Lakshmi", "Astrid", "Naomi", "Catalina", "Folasade", "Ruth", "Anh", "Greta", "Valentina",
    ]
    /// Fifty first names usually given to men.
    static let maleFirst = [
        "John", "Samuel", "Kwame", "Hiroshi", "Ahmed", "Mateo", "Rajesh", "Liam", "Dmitri", "Wei",
        "Tomasz", "Oluwaseun", "Carlos", "Henrik", "Arjun", "Patrick", "Yusuf", "Kenji", "Diego", "Emmanuel",
        "José", "Malik", "Anders", "Viktor", "Farid", "Giovanni", "Thomas", "Minh", "Ravi", "Benjamin",
        "Søren", "Tariq", "Francisco", "Chinedu", "Walter", "Ibrahim", "Lars", "Hamid", "Andrés", "George",
        "Takeshi", "Nikolai", "Omar", "Robert", "Santiago", "Kofi", "Elijah", "Arturo", "Jun", "Declan",
    ]
    /// A hundred last names.
    static let last = [
        "Delgado", "Whitfield", "Tanaka", "Osei", "Okafor", "Lindqvist", "Haas", "Nakamura", "Patel", "Kowalski",
        "Fernández", "O'Brien", "Nguyen", "Mensah", "Ivanova", "Rossi", "Goldberg", "Chen", "Haddad", "Johansson",
        "Adeyemi", "Schmidt", "Ramírez", "Kim", "Murphy", "Sato", "Abdullah", "Novak", "Castillo", "Singh",
        "Müller", "Dubois", "Papadopoulos", "Mwangi", "Hernández", "Kaur", "Yamamoto", "Petrov", "Walsh", "Cohen",
        "Okonkwo", "Bergström", "Moreau", "Da Silva", "Sharma", "Kovács", "Thompson", "Ali", "Zhang", "Reyes",
        "Eriksen", "Boateng", "Morales", "Fischer", "Gallagher", "Suzuki", "Rahman", "Jovanović", "Wright", "Mendoza",
        "Van der Berg", "Choi", "Nwosu", "Horvat", "Bianchi", "Lopez", "Hashemi", "Andersen", "Baptiste", "Wójcik",
        "Kapoor", "Ferreira", "MacLeod", "Asante", "Yilmaz", "Takahashi", "Romero", "Novotný", "Greenberg", "Iyer",
        "Ogunleye", "Kristiansen", "Vargas", "Park", "Lefebvre", "Stewart", "Nakashima", "Guerrero", "Mahmoud", "Hansen",
        "Achebe", "Laurent", "Sokolov", "Bui", "Campbell", "Esposito", "Quispe", "Nieminen", "Ortega", "Whitaker",
    ]
}
