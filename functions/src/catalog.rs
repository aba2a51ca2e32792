//! The fixed reference data: payers and the formulary. Synthetic, but with
//! real drug names, classes and NDC-shaped codes, so that speech recognition
//! and fuzzy matching face the words a real caller would say.

/// A payer: full name and the short name used for document file names.
#[derive(Debug, Clone, Copy)]
pub struct PayerDef {
    /// Full name ("Blue Cross Blue Shield").
    pub name: &'static str,
    /// Short key ("bcbs").
    pub short: &'static str,
}

/// The six payers.
pub const PAYERS: &[PayerDef] = &[
    PayerDef {
        name: "Aetna",
        short: "aetna",
    },
    PayerDef {
        name: "Blue Cross Blue Shield",
        short: "bcbs",
    },
    PayerDef {
        name: "Cigna",
        short: "cigna",
    },
    PayerDef {
        name: "Humana",
        short: "humana",
    },
    PayerDef {
        name: "UnitedHealthcare",
        short: "uhc",
    },
    PayerDef {
        name: "Kaiser Permanente",
        short: "kaiser",
    },
];

/// A formulary entry.
#[derive(Debug, Clone, Copy)]
pub struct MedicationDef {
    /// Name a caller says (brand where one is usual).
    pub name: &'static str,
    /// Generic name.
    pub generic: &'static str,
    /// Therapeutic class.
    pub class: &'static str,
    /// Whether it is a controlled substance (routes to a pharmacist).
    pub controlled: bool,
    /// Specialty or costly drug: PA usually required, high tier.
    pub specialty: bool,
}

const fn med(
    name: &'static str,
    generic: &'static str,
    class: &'static str,
    controlled: bool,
    specialty: bool,
) -> MedicationDef {
    MedicationDef {
        name,
        generic,
        class,
        controlled,
        specialty,
    }
}

/// The 50-drug formulary.
pub const MEDICATIONS: &[MedicationDef] = &[
    med("Ozempic", "semaglutide", "GLP-1 agonist", false, true),
    med("Wegovy", "semaglutide", "GLP-1 agonist", false, true),
    med("Mounjaro", "tirzepatide", "GLP-1/GIP agonist", false, true),
    med("Trulicity", "dulaglutide", "GLP-1 agonist", false, true),
    med("Jardiance", "empagliflozin", "SGLT2 inhibitor", false, true),
    med("Farxiga", "dapagliflozin", "SGLT2 inhibitor", false, true),
    med("Januvia", "sitagliptin", "DPP-4 inhibitor", false, false),
    med("Metformin", "metformin", "biguanide", false, false),
    med("Lantus", "insulin glargine", "long-acting insulin", false, true),
    med("Humalog", "insulin lispro", "rapid-acting insulin", false, true),
    med("Humira", "adalimumab", "TNF blocker", false, true),
    med("Enbrel", "etanercept", "TNF blocker", false, true),
    med("Stelara", "ustekinumab", "interleukin inhibitor", false, true),
    med("Dupixent", "dupilumab", "interleukin inhibitor", false, true),
    med("Skyrizi", "risankizumab", "interleukin inhibitor", false, true),
    med("Eliquis", "apixaban", "anticoagulant", false, false),
    med("Xarelto", "rivaroxaban", "anticoagulant", false, false),
    med("Warfarin", "warfarin", "anticoagulant", false, false),
    med("Lipitor", "atorvastatin", "statin", false, false),
    med("Crestor", "rosuvastatin", "statin", false, false),
    med("Lisinopril", "lisinopril", "ACE inhibitor", false, false),
    med("Losartan", "losartan", "angiotensin receptor blocker", false, false),
    med("Amlodipine", "amlodipine", "calcium channel blocker", false, false),
    med("Metoprolol", "metoprolol", "beta blocker", false, false),
    med("Entresto", "sacubitril and valsartan", "heart failure", false, true),
    med("Synthroid", "levothyroxine", "thyroid hormone", false, false),
    med("Omeprazole", "omeprazole", "proton pump inhibitor", false, false),
    med("Pantoprazole", "pantoprazole", "proton pump inhibitor", false, false),
    med("Sertraline", "sertraline", "SSRI antidepressant", false, false),
    med("Lexapro", "escitalopram", "SSRI antidepressant", false, false),
    med("Wellbutrin", "bupropion", "antidepressant", false, false),
    med("Trintellix", "vortioxetine", "antidepressant", false, true),
    med("Abilify", "aripiprazole", "antipsychotic", false, false),
    med("Adderall", "amphetamine salts", "stimulant", true, false),
    med("Vyvanse", "lisdexamfetamine", "stimulant", true, true),
    med("Xanax", "alprazolam", "benzodiazepine", true, false),
    med("Oxycodone", "oxycodone", "opioid analgesic", true, false),
    med("Tramadol", "tramadol", "opioid analgesic", true, false),
    med("Gabapentin", "gabapentin", "anticonvulsant", false, false),
    med("Lyrica", "pregabalin", "anticonvulsant", true, false),
    med("Albuterol", "albuterol", "bronchodilator", false, false),
    med(
        "Symbicort",
        "budesonide and formoterol",
        "inhaled corticosteroid",
        false,
        false,
    ),
    med(
        "Trelegy",
        "fluticasone, umeclidinium and vilanterol",
        "inhaled triple therapy",
        false,
        true,
    ),
    med("Montelukast", "montelukast", "leukotriene blocker", false, false),
    med("Prednisone", "prednisone", "corticosteroid", false, false),
    med("Amoxicillin", "amoxicillin", "antibiotic", false, false),
    med(
        "Biktarvy",
        "bictegravir, emtricitabine and tenofovir",
        "HIV antiretroviral",
        false,
        true,
    ),
    med("Paxlovid", "nirmatrelvir and ritonavir", "antiviral", false, false),
    med("Aimovig", "erenumab", "CGRP inhibitor", false, true),
    med("Nurtec", "rimegepant", "CGRP antagonist", false, true),
];

/// A synthetic NDC in the 5-4-2 format, stable per formulary position.
pub fn ndc(index: usize) -> String {
    let i = index as u32;
    format!(
        "{:05}-{:04}-{:02}",
        50090 + i * 173 % 9000,
        1000 + (i * 7919) % 9000,
        1 + i % 90
    )
}
