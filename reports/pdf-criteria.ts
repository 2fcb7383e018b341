// The Trust Services Criteria the shipped collectors serve, quoted so a report reads on its own; a control's own
// `description` in controls.yaml takes precedence.
export const CRITERIA_SOURCE =
  "AICPA, 2017 Trust Services Criteria for Security, Availability, Processing Integrity, Confidentiality, and Privacy (with revised points of focus, 2022)";

const CRITERIA: Record<string, string> = {
  "CC4.1":
    "The entity selects, develops, and performs ongoing and/or separate evaluations to ascertain whether the components of internal control are present and functioning.",
  "CC6.1":
    "The entity implements logical access security software, infrastructure, and architectures over protected information assets to protect them from security events to meet the entity's objectives.",
  "CC6.2":
    "Prior to issuing system credentials and granting system access, the entity registers and authorizes new internal and external users whose access is administered by the entity. For those users whose access is administered by the entity, user system credentials are removed when user access is no longer authorized.",
  "CC6.3":
    "The entity authorizes, modifies, or removes access to data, software, functions, and other protected information assets based on roles, responsibilities, or the system design and changes, giving consideration to the concepts of least privilege and segregation of duties, to meet the entity's objectives.",
  "CC6.6":
    "The entity implements logical access security measures to protect against threats from sources outside its system boundaries.",
  "CC6.7":
    "The entity restricts the transmission, movement, and removal of information to authorized internal and external users and processes, and protects it during transmission, movement, or removal to meet the entity's objectives.",
  "CC6.8":
    "The entity implements controls to prevent or detect and act upon the introduction of unauthorized or malicious software to meet the entity's objectives.",
  "CC7.1":
    "To meet its objectives, the entity uses detection and monitoring procedures to identify (1) changes to configurations that result in the introduction of new vulnerabilities, and (2) susceptibilities to newly discovered vulnerabilities.",
  "CC7.2":
    "The entity monitors system components and the operation of those components for anomalies that are indicative of malicious acts, natural disasters, and errors affecting the entity's ability to meet its objectives; anomalies are analyzed to determine whether they represent security events.",
};

/** The criterion text for a control: its own description, else the TSC text for its id, else a pointer to add one. */
export function criterionText(control: { id: string; description?: string }): {
  text: string;
  source: string;
} {
  if (control.description) return { text: control.description, source: "controls.yaml" };
  const text = CRITERIA[control.id.toUpperCase()];
  if (text) return { text, source: CRITERIA_SOURCE };
  return {
    text: `No criterion text is recorded for ${control.id}; add a description to the control in controls.yaml.`,
    source: "controls.yaml",
  };
}
