/// Words that k-anonymity never flags, however few subjects use them: common English words and the
/// everyday vocabulary of clinical notes. A rare function word or a rare dose unit identifies nobody.
enum StopWords {
    static let english: Set<String> = [
        "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are",
        "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can",
        "could", "did", "do", "does", "doing", "down", "during", "each", "either", "else", "ever", "every",
        "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself",
        "him", "himself", "his", "how", "however", "i", "if", "in", "into", "is", "it", "its", "itself", "just",
        "last", "least", "less", "like", "made", "make", "many", "may", "me", "might", "more", "most", "much",
        "must", "my", "myself", "near", "neither", "new", "next", "no", "nor", "not", "now", "of", "off",
        "often", "on", "once", "one", "only", "or", "other", "our", "ours", "out", "over", "own", "per",
        "same", "she", "should", "since", "so", "some", "still", "such", "than", "that", "the", "their",
        "theirs", "them", "then", "there", "these", "they", "this", "those", "though", "through", "thus", "to",
        "too", "two", "three", "under", "until", "up", "upon", "us", "very", "via", "was", "we", "well", "were",
        "what", "when", "where", "whether", "which", "while", "who", "whom", "whose", "why", "will", "with",
        "within", "without", "would", "yet", "you", "your", "yours", "don't", "doesn't", "didn't", "isn't",
        "wasn't", "won't", "can't", "he's", "she's", "it's", "today", "yesterday", "tomorrow", "day", "days",
        "week", "weeks", "month", "months", "year", "years", "time", "times", "first", "second", "third",
        "around", "already", "always", "never", "due", "given", "noted", "seen", "see",
        "mr", "mrs", "ms", "dr",
    ]

    static let clinical: Set<String> = [
        "patient", "patients", "pt", "pts", "history", "hx", "mg", "mcg", "ml", "kg", "g", "mmhg", "bpm",
        "daily", "bid", "tid", "qid", "qd", "qhs", "prn", "po", "iv", "im", "sc", "tab", "tabs", "tablet",
        "tablets", "dose", "doses", "medication", "medications", "meds", "diagnosis", "dx", "treatment", "tx",
        "admission", "admitted", "discharge", "discharged", "follow", "followup", "visit", "clinic", "hospital",
        "doctor", "physician", "nurse", "exam", "examination", "physical", "normal", "abnormal", "negative",
        "positive", "pain", "chest", "abdominal", "blood", "pressure", "heart", "rate", "lungs", "clear",
        "denies", "reports", "presents", "presented", "complaint", "chief", "assessment", "plan", "continue",
        "start", "started", "stop", "stopped", "mild", "moderate", "severe", "acute", "chronic", "left", "right",
        "bilateral", "status", "stable", "improved", "vital", "vitals", "signs", "labs", "lab", "results",
        "report", "note", "notes", "allergies", "nkda", "family", "social", "surgical", "past", "medical",
        "review", "systems", "ros", "hpi", "pmh", "temp", "temperature", "pulse", "weight", "height", "bmi",
        "oxygen", "saturation", "sat", "room", "air", "ekg", "ecg", "ct", "mri", "xray", "x-ray", "scan",
        "test", "tests", "level", "levels", "fever", "cough", "nausea", "vomiting", "symptoms", "symptom",
        "year-old", "old", "male", "female", "man", "woman", "mother", "father", "wife", "husband", "son",
        "daughter", "home", "return", "call", "if", "worsening", "likely", "possible", "without", "recommend",
        "recommended", "increase", "decrease", "refill", "prescribed", "unit", "units", "times", "hours",
        "hour", "minutes", "weeks", "orally", "twice", "once", "yo", "y/o",
    ]

    static let `default`: Set<String> = english.union(clinical)
}
