/// The conditions demo patients are admitted or followed for.
enum DemoConditions {
    static let all: [DemoCondition] = [
        DemoCondition(
            diagnosis: "community-acquired pneumonia", specialty: .pulmonology,
            complaints: ["cough and fever for {days} days", "productive cough and shortness of breath"],
            presentations: [
                "{He} reports {days} days of productive cough with yellow sputum, fevers and chills.",
                "{He} developed pleuritic chest pain and a cough after a viral illness last week.",
            ],
            findings: [
                "Temperature {temp} C, SpO2 {spo2}% on room air. Crackles at the right base.",
                "WBC {wbc}, lactate {lactate}. Chest X-ray shows right lower lobe consolidation.",
            ],
            treatment: [
                DemoMedication(name: "ceftriaxone", regimen: "1 g IV daily"),
                DemoMedication(name: "azithromycin", regimen: "500 mg daily"),
            ],
            dischargeMedications: [
                DemoMedication(name: "amoxicillin-clavulanate", regimen: "875 mg twice daily for 5 days"),
            ],
            courses: [
                "Treated with ceftriaxone and azithromycin with steady improvement; oxygen weaned off by day {day}.",
                "Blood cultures remained negative. Transitioned to oral antibiotics once afebrile for 48 hours.",
            ],
            plans: [
                "Continue antibiotics for a total of 7 days. Incentive spirometry. Repeat chest X-ray in 6 weeks.",
                "Sputum culture pending. Supplemental oxygen to keep saturation above 92%.",
            ],
            followUps: [
                "Cough has improved and {he} has had no further fevers.",
                "Repeat chest X-ray shows resolution of the infiltrate.",
            ],
            clinicPlans: [
                "Repeat chest X-ray in 6 weeks to document resolution.",
                "Pneumococcal and influenza vaccines given today.",
            ]),
        DemoCondition(
            diagnosis: "acute decompensated heart failure", specialty: .cardiology,
            complaints: ["worsening shortness of breath and leg swelling", "orthopnea for {days} days"],
            presentations: [
                "{He} reports a weight gain of 4 kg over {days} days with orthopnea and ankle edema.",
                "{He} ran out of furosemide two weeks ago and now has dyspnea on minimal exertion.",
            ],
            findings: [
                "BP {bp}, HR {hr}. Jugular venous distension, bibasilar crackles, 2+ pitting edema.",
                "BNP {bnp}, creatinine {cr}. Echocardiogram: ejection fraction {ef}%.",
            ],
            treatment: [
                DemoMedication(name: "furosemide", regimen: "40 mg IV twice daily"),
                DemoMedication(name: "metoprolol succinate", regimen: "25 mg daily"),
            ],
            dischargeMedications: [
                DemoMedication(name: "furosemide", regimen: "40 mg daily"),
                DemoMedication(name: "metoprolol succinate", regimen: "25 mg daily"),
            ],
            courses: [
                "Diuresed with IV furosemide, net negative 5 liters, with resolution of edema.",
                "Transitioned to oral diuretics; weight at discharge 3 kg below admission weight.",
            ],
            plans: [
                "IV diuresis, strict intake and output, daily weights, 2 g sodium diet.",
                "Continue beta blocker, start sacubitril-valsartan when renal function allows.",
            ],
            followUps: [
                "Weight has been stable and {he} sleeps on one pillow again.",
                "No further edema; {he} walks two blocks without dyspnea.",
            ],
            clinicPlans: [
                "Continue furosemide, daily weights, call if weight rises by 2 kg.",
                "Start sacubitril-valsartan; basic metabolic panel in one week.",
            ]),
        DemoCondition(
            diagnosis: "non-ST-elevation myocardial infarction", specialty: .cardiology,
            complaints: ["chest pain radiating to the left arm", "substernal chest pressure"],
            presentations: [
                "{He} developed substernal chest pressure at rest, radiating to the left arm, with diaphoresis.",
                "Chest pain started {hours} hours before arrival and was partially relieved by nitroglycerin.",
            ],
            findings: [
                "Troponin {trop}, rising on repeat. ECG with ST depressions in V4 to V6.",
                "BP {bp}, HR {hr}. Heart sounds regular, no murmur. Lungs clear.",
            ],
            treatment: [
                DemoMedication(name: "aspirin", regimen: "81 mg daily"),
                DemoMedication(name: "atorvastatin", regimen: "80 mg nightly"),
                DemoMedication(name: "clopidogrel", regimen: "75 mg daily"),
            ],
            dischargeMedications: [
                DemoMedication(name: "aspirin", regimen: "81 mg daily"),
                DemoMedication(name: "atorvastatin", regimen: "80 mg nightly"),
                DemoMedication(name: "clopidogrel", regimen: "75 mg daily"),
                DemoMedication(name: "metoprolol tartrate", regimen: "25 mg twice daily"),
            ],
            courses: [
                "Cardiac catheterization showed a 90% stenosis of the left anterior descending artery, treated with a drug-eluting stent.",
                "Heparin infusion for 48 hours; chest pain free after catheterization.",
            ],
            plans: [
                "Heparin drip, dual antiplatelet therapy, high-intensity statin. Cardiology consulted for catheterization.",
                "Cardiac rehabilitation referral. Continue dual antiplatelet therapy for 12 months.",
            ],
            followUps: [
                "No recurrent chest pain since the stent placement. Attending cardiac rehabilitation.",
                "Tolerating dual antiplatelet therapy without bleeding.",
            ],
            clinicPlans: [
                "Continue dual antiplatelet therapy for 12 months and cardiac rehabilitation.",
                "Lipid panel in 6 weeks, target LDL below 70.",
            ]),
        DemoCondition(
            diagnosis: "poorly controlled type 2 diabetes mellitus", specialty: .endocrinology,
            complaints: ["polyuria and polydipsia", "high blood sugars at home"],
            presentations: [
                "{He} reports polyuria, polydipsia and blurred vision for {weeks} weeks.",
                "Home glucose readings have been above 300 despite adherence to metformin.",
            ],
            findings: [
                "HbA1c {a1c}%, glucose {glucose} mg/dL, anion gap normal.",
                "Monofilament sensation decreased in both feet. BMI 34.",
            ],
            treatment: [
                DemoMedication(name: "insulin glargine", regimen: "20 units at bedtime"),
                DemoMedication(name: "insulin lispro", regimen: "sliding scale with meals"),
            ],
            dischargeMedications: [
                DemoMedication(name: "insulin glargine", regimen: "20 units at bedtime"),
                DemoMedication(name: "metformin", regimen: "1000 mg twice daily"),
            ],
            courses: [
                "Started on basal-bolus insulin with glucose improving to the 150 to 200 range.",
                "Diabetes educator taught insulin injection and glucose monitoring.",
            ],
            plans: [
                "Start basal insulin, titrate by 2 units every 3 days to a fasting glucose below 130.",
                "Diabetic diet, ophthalmology referral for retinal screening, annual foot exam.",
            ],
            followUps: [
                "Fasting glucose now 120 to 150. HbA1c down to {a1c}%.",
                "Reports two mild hypoglycemic episodes; glargine reduced by 2 units.",
            ],
            clinicPlans: [
                "Increase glargine by 2 units every 3 days to a fasting glucose below 130.",
                "Ophthalmology referral for retinal screening, annual foot exam.",
            ]),
        DemoCondition(
            diagnosis: "COPD exacerbation", specialty: .pulmonology,
            complaints: ["increased dyspnea and wheezing", "worsening cough and sputum for {days} days"],
            presentations: [
                "{He} has COPD on home oxygen and reports increased sputum and wheezing for {days} days.",
                "{He} needed the rescue inhaler every hour since yesterday.",
            ],
            findings: [
                "SpO2 {spo2}% on 2 L, diffuse expiratory wheezes, prolonged expiration.",
                "ABG pH 7.34, pCO2 52. Chest X-ray hyperinflated without consolidation.",
            ],
            treatment: [
                DemoMedication(name: "prednisone", regimen: "40 mg daily for 5 days"),
                DemoMedication(name: "ipratropium-albuterol nebulizer", regimen: "every 6 hours"),
            ],
            dischargeMedications: [
                DemoMedication(name: "tiotropium", regimen: "18 mcg inhaled daily"),
                DemoMedication(name: "albuterol inhaler", regimen: "2 puffs every 4 hours as needed"),
            ],
            courses: [
                "Improved with steroids, nebulizers and doxycycline; back to baseline oxygen on day {day}.",
                "Did not require noninvasive ventilation.",
            ],
            plans: [
                "Systemic steroids, scheduled nebulizers, doxycycline 100 mg twice daily for 5 days.",
                "Pulmonary rehabilitation referral, smoking cessation counseling.",
            ],
            followUps: [
                "Breathing back to baseline, using tiotropium daily.",
                "No exacerbation since discharge. Pulmonary function tests ordered.",
            ],
            clinicPlans: [
                "Pulmonary rehabilitation and smoking cessation counseling.",
                "Spirometry at the next visit; continue tiotropium.",
            ]),
        DemoCondition(
            diagnosis: "acute kidney injury", specialty: .nephrology,
            complaints: ["decreased urine output and fatigue", "nausea and poor oral intake"],
            presentations: [
                "{He} had {days} days of vomiting and diarrhea with poor oral intake while taking lisinopril.",
                "{He} noticed dark, scant urine and generalized weakness.",
            ],
            findings: [
                "Creatinine {cr} from a baseline of 1.0, potassium {k}, sodium {na}.",
                "Renal ultrasound without hydronephrosis. Urine sodium low.",
            ],
            treatment: [DemoMedication(name: "normal saline", regimen: "100 mL per hour IV")],
            dischargeMedications: [],
            courses: [
                "Creatinine improved with IV fluids after holding lisinopril and NSAIDs.",
                "Urine output recovered by day {day}; no dialysis needed.",
            ],
            plans: [
                "IV fluids, hold nephrotoxic medications, renally dose all drugs, daily basic metabolic panel.",
                "Avoid NSAIDs. Recheck creatinine in one week.",
            ],
            followUps: [
                "Creatinine back to {cr}. Lisinopril resumed at a lower dose.",
                "Renal function stable; no further episodes.",
            ],
            clinicPlans: [
                "Recheck creatinine in one week; avoid NSAIDs.",
                "Resume lisinopril at 5 mg if creatinine stays stable.",
            ]),
        DemoCondition(
            diagnosis: "cellulitis of the left lower leg", specialty: .infectiousDisease,
            complaints: ["red, swollen and painful left leg", "left leg redness for {days} days"],
            presentations: [
                "{He} noticed spreading redness and warmth of the left shin after a small cut {days} days ago.",
                "{He} reports fever and a painful, swollen left leg.",
            ],
            findings: [
                "Erythema 12 by 8 cm over the left anterior shin, warm and tender, no fluctuance.",
                "Temperature {temp} C, WBC {wbc}. Doppler negative for deep vein thrombosis.",
            ],
            treatment: [DemoMedication(name: "cefazolin", regimen: "2 g IV every 8 hours")],
            dischargeMedications: [
                DemoMedication(name: "cephalexin", regimen: "500 mg four times daily for 7 days"),
            ],
            courses: [
                "Erythema receded within the marked borders on IV cefazolin; switched to oral cephalexin.",
                "Leg elevation and wound care; afebrile since hospital day 2.",
            ],
            plans: [
                "IV cefazolin, mark borders, elevate the leg. Switch to cephalexin 500 mg four times daily when improving.",
                "Wound care and compression once infection resolves.",
            ],
            followUps: [
                "Redness resolved, residual mild swelling only.",
                "Completed antibiotics; skin intact.",
            ],
            clinicPlans: [
                "Compression stockings, keep the skin moisturized.",
                "Return if the redness comes back.",
            ]),
        DemoCondition(
            diagnosis: "acute pyelonephritis", specialty: .infectiousDisease,
            complaints: ["fever and right flank pain", "burning urination and chills"],
            presentations: [
                "{He} reports dysuria for {days} days followed by fever, rigors and right flank pain.",
                "{He} has vomited twice and cannot keep oral antibiotics down.",
            ],
            findings: [
                "Temperature {temp} C, right costovertebral angle tenderness.",
                "Urinalysis with pyuria and nitrites, WBC {wbc}, lactate {lactate}.",
            ],
            treatment: [DemoMedication(name: "ceftriaxone", regimen: "1 g IV daily")],
            dischargeMedications: [
                DemoMedication(name: "ciprofloxacin", regimen: "500 mg twice daily for 7 days"),
            ],
            courses: [
                "Urine culture grew pan-sensitive E. coli; changed to oral ciprofloxacin.",
                "Fever resolved within 48 hours of ceftriaxone.",
            ],
            plans: [
                "IV ceftriaxone pending cultures, IV fluids, antiemetics.",
                "Complete 7 days of antibiotics. Renal ultrasound if no improvement.",
            ],
            followUps: [
                "Asymptomatic, repeat urinalysis clear.",
                "No flank pain or fever since discharge.",
            ],
            clinicPlans: [
                "Repeat urinalysis if symptoms recur.",
                "Encourage fluid intake.",
            ]),
        DemoCondition(
            diagnosis: "atrial fibrillation with rapid ventricular response", specialty: .cardiology,
            complaints: ["palpitations and lightheadedness", "racing heart since this morning"],
            presentations: [
                "{He} felt palpitations and lightheadedness starting {hours} hours before arrival.",
                "{He} noticed an irregular, fast heartbeat and mild shortness of breath.",
            ],
            findings: [
                "Irregularly irregular rhythm at {hr} beats per minute, BP {bp}.",
                "TSH normal, troponin negative. Echocardiogram: ejection fraction {ef}%.",
            ],
            treatment: [
                DemoMedication(name: "diltiazem", regimen: "120 mg extended release daily"),
                DemoMedication(name: "apixaban", regimen: "5 mg twice daily"),
            ],
            dischargeMedications: [
                DemoMedication(name: "diltiazem", regimen: "120 mg extended release daily"),
                DemoMedication(name: "apixaban", regimen: "5 mg twice daily"),
            ],
            courses: [
                "Rate controlled with IV then oral diltiazem. Anticoagulation started for a CHA2DS2-VASc score of 4.",
                "Converted spontaneously to sinus rhythm on hospital day 2.",
            ],
            plans: [
                "Rate control with diltiazem, start apixaban, telemetry monitoring.",
                "Outpatient Holter monitor and discussion of rhythm control.",
            ],
            followUps: [
                "Heart rate controlled in the 70s, no bleeding on apixaban.",
                "Occasional palpitations; Holter shows atrial fibrillation burden of 10%.",
            ],
            clinicPlans: [
                "Continue apixaban; Holter monitor for 48 hours.",
                "Discuss rhythm control at the next visit.",
            ]),
        DemoCondition(
            diagnosis: "right hip fracture", specialty: .orthopedics,
            complaints: ["fall at home with right hip pain", "inability to bear weight after a fall"],
            presentations: [
                "{He} tripped over a rug at home and could not get up; found by a neighbor after several hours.",
                "{He} fell from standing height and has severe right groin pain.",
            ],
            findings: [
                "Right leg shortened and externally rotated. X-ray: displaced femoral neck fracture.",
                "Hemoglobin {hgb}, INR {inr}, creatinine {cr}.",
            ],
            treatment: [
                DemoMedication(name: "enoxaparin", regimen: "40 mg subcutaneously daily"),
                DemoMedication(name: "oxycodone", regimen: "5 mg every 6 hours as needed for pain"),
            ],
            dischargeMedications: [
                DemoMedication(name: "enoxaparin", regimen: "40 mg subcutaneously daily for 4 weeks"),
                DemoMedication(name: "acetaminophen", regimen: "1 g every 8 hours"),
            ],
            courses: [
                "Underwent right hip hemiarthroplasty on hospital day 1 without complications.",
                "Worked with physical therapy and walked 30 meters with a walker before discharge.",
            ],
            plans: [
                "Orthopedics consulted for surgery. Pain control, hold anticoagulation before the operation.",
                "Weight bearing as tolerated, DVT prophylaxis for 4 weeks, fall prevention assessment.",
            ],
            followUps: [
                "Incision healed, walking with a cane. Staples removed.",
                "Pain controlled with acetaminophen only. Home physical therapy ongoing.",
            ],
            clinicPlans: [
                "Home physical therapy, weight bearing as tolerated.",
                "Bone density scan and osteoporosis treatment.",
            ]),
        DemoCondition(
            diagnosis: "upper gastrointestinal bleeding", specialty: .gastroenterology,
            complaints: ["black stools and dizziness", "vomiting blood"],
            presentations: [
                "{He} reports black, tarry stools for {days} days and dizziness on standing, taking ibuprofen daily for back pain.",
                "{He} vomited coffee-ground material this morning.",
            ],
            findings: [
                "Hemoglobin {hgb}, down from 13. BP {bp}, HR {hr}.",
                "BUN elevated, INR {inr}. Rectal exam with melena.",
            ],
            treatment: [DemoMedication(name: "pantoprazole", regimen: "40 mg IV twice daily")],
            dischargeMedications: [
                DemoMedication(name: "pantoprazole", regimen: "40 mg twice daily"),
            ],
            courses: [
                "Endoscopy showed a duodenal ulcer with a visible vessel, treated with clips. Transfused 2 units.",
                "Hemoglobin stable for 48 hours after endoscopy. Helicobacter pylori biopsy positive.",
            ],
            plans: [
                "Two large-bore IVs, transfuse for hemoglobin below 7, IV proton pump inhibitor, urgent endoscopy.",
                "Stop NSAIDs. Treat Helicobacter pylori, repeat endoscopy in 8 weeks.",
            ],
            followUps: [
                "No further melena, hemoglobin recovered to {hgb}.",
                "Completed Helicobacter pylori therapy.",
            ],
            clinicPlans: [
                "Stop NSAIDs. Repeat endoscopy in 8 weeks.",
                "Urea breath test after Helicobacter pylori therapy.",
            ]),
        DemoCondition(
            diagnosis: "acute ischemic stroke", specialty: .neurology,
            complaints: ["sudden right arm weakness and slurred speech", "facial droop and word-finding difficulty"],
            presentations: [
                "{He} was last known well at 7 am and was found with right arm weakness and slurred speech.",
                "{His} family noticed a left facial droop and confusion during dinner.",
            ],
            findings: [
                "NIH stroke scale 6. CT head without hemorrhage; CT angiogram without large vessel occlusion.",
                "MRI shows an acute infarct in the left middle cerebral artery territory. LDL 142.",
            ],
            treatment: [
                DemoMedication(name: "aspirin", regimen: "81 mg daily"),
                DemoMedication(name: "atorvastatin", regimen: "80 mg nightly"),
            ],
            dischargeMedications: [
                DemoMedication(name: "aspirin", regimen: "81 mg daily"),
                DemoMedication(name: "atorvastatin", regimen: "80 mg nightly"),
            ],
            courses: [
                "Received thrombolysis within the window; deficits improved over 24 hours.",
                "Speech therapy and physical therapy daily; discharged to acute rehabilitation.",
            ],
            plans: [
                "Permissive hypertension for 24 hours, telemetry, swallow evaluation before oral intake.",
                "Secondary prevention with antiplatelet and statin. 30-day cardiac monitor.",
            ],
            followUps: [
                "Residual mild weakness of the right hand; speech normal.",
                "Attending outpatient rehabilitation three times a week.",
            ],
            clinicPlans: [
                "Outpatient rehabilitation, blood pressure goal below 130/80.",
                "Review the 30-day cardiac monitor results.",
            ]),
        DemoCondition(
            diagnosis: "acute appendicitis", specialty: .primaryCare,
            complaints: ["right lower quadrant abdominal pain", "abdominal pain, nausea and fever"],
            presentations: [
                "Periumbilical pain began {days} days ago and migrated to the right lower quadrant, with anorexia.",
                "{He} reports nausea, one episode of vomiting and a low-grade fever.",
            ],
            findings: [
                "Tenderness at McBurney's point with guarding. WBC {wbc}.",
                "CT abdomen: dilated appendix with periappendiceal fat stranding.",
            ],
            treatment: [DemoMedication(name: "piperacillin-tazobactam", regimen: "3.375 g IV every 6 hours")],
            dischargeMedications: [
                DemoMedication(name: "acetaminophen", regimen: "650 mg every 6 hours as needed"),
            ],
            courses: [
                "Underwent laparoscopic appendectomy without complications.",
                "Tolerated a regular diet on postoperative day 1.",
            ],
            plans: [
                "NPO, IV fluids, IV antibiotics. General surgery for laparoscopic appendectomy.",
                "No heavy lifting for 2 weeks. Wound check in clinic.",
            ],
            followUps: [
                "Port sites healing well, no fever.",
                "Back to work, no abdominal pain.",
            ],
            clinicPlans: [
                "No heavy lifting for 2 weeks.",
                "Resume normal activity as tolerated.",
            ]),
        DemoCondition(
            diagnosis: "acute pancreatitis", specialty: .gastroenterology,
            complaints: ["severe epigastric pain radiating to the back", "epigastric pain and vomiting"],
            presentations: [
                "{He} reports constant epigastric pain radiating to the back for {days} days with vomiting.",
                "Pain began after a large fatty meal.",
            ],
            findings: [
                "Lipase {lipase}, triglycerides normal. Ultrasound shows gallstones without duct dilation.",
                "Epigastric tenderness, HR {hr}, WBC {wbc}.",
            ],
            treatment: [DemoMedication(name: "lactated Ringer's", regimen: "150 mL per hour IV")],
            dischargeMedications: [],
            courses: [
                "Pain resolved with fluids and bowel rest; diet advanced on day {day}.",
                "Laparoscopic cholecystectomy before discharge.",
            ],
            plans: [
                "Aggressive IV fluids, pain control, advance diet as tolerated.",
                "Surgical consultation for cholecystectomy during this admission.",
            ],
            followUps: [
                "Tolerating a low-fat diet without pain.",
                "Liver tests normalized.",
            ],
            clinicPlans: [
                "Low-fat diet, no alcohol.",
                "Liver tests in 4 weeks.",
            ]),
        DemoCondition(
            diagnosis: "hypertensive urgency", specialty: .primaryCare,
            complaints: ["severe headache with very high blood pressure at home", "headaches and high blood pressure readings"],
            presentations: [
                "Home readings above 180 over 110 for {days} days; {he} admits missing doses.",
                "{He} reports occasional morning headaches, no chest pain or vision changes.",
            ],
            findings: [
                "BP {bphigh} on arrival, HR {hr}. Fundi normal. No edema.",
                "Potassium {k}, creatinine {cr}. Urine albumin-to-creatinine ratio 45.",
            ],
            treatment: [DemoMedication(name: "chlorthalidone", regimen: "12.5 mg daily")],
            dischargeMedications: [
                DemoMedication(name: "chlorthalidone", regimen: "12.5 mg daily"),
            ],
            courses: ["Blood pressure improved after adding chlorthalidone."],
            plans: [
                "Add chlorthalidone, low-sodium diet, home blood pressure log.",
                "Recheck basic metabolic panel in 2 weeks.",
            ],
            followUps: [
                "Home readings now 120s to 130s over 80s.",
                "Tolerating chlorthalidone, potassium {k}.",
            ],
            clinicPlans: [
                "Home blood pressure log, low-sodium diet.",
                "Recheck basic metabolic panel in 2 weeks.",
            ]),
    ]
}
