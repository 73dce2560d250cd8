import { describe, expect, it } from 'vitest';
import { DEFAULT_DICOM_TEMPLATE, parseTemplate, renderTemplate, safeName } from './pathTemplate';

describe('folder templates', () => {
  it('lays files out by their attributes, as idc-index does by default', () => {
    const t = parseTemplate(DEFAULT_DICOM_TEMPLATE);
    expect(
      renderTemplate(t, {
        PatientID: 'COH-0001',
        StudyInstanceUID: '1.2.3',
        Modality: 'CT',
        SeriesInstanceUID: '1.2.3.4',
        SOPInstanceUID: '1.2.3.4.5',
      }),
    ).toBe('COH-0001/1.2.3/CT_1.2.3.4/1.2.3.4.5.dcm');
    // Missing values, arrays, PN objects and numbers.
    expect(
      renderTemplate(
        parseTemplate('<PatientName>/<SeriesNumber>-<Modality>/<InstanceNumber>.dcm'),
        {
          PatientName: [{ Alphabetic: 'DOE^JANE' }],
          SeriesNumber: 3,
          Modality: null,
        },
      ),
    ).toBe('DOE^JANE/3-unknown/unknown.dcm');
  });

  it('refuses a template that is wrong, saying how', () => {
    const refused = (t: string, why: RegExp) => expect(() => parseTemplate(t)).toThrow(why);
    refused('<PatientID>/<Foo>.dcm', /there is no field <Foo>; the fields are <PatientID>/);
    refused(
      '<PatientID>/../<SOPInstanceUID>.dcm',
      /"\.\." is not allowed: every file stays inside the export/,
    );
    refused('./<SOPInstanceUID>.dcm', /"\." is not allowed/);
    refused('/<SOPInstanceUID>.dcm', /must be a relative path/);
    refused('C:/<SOPInstanceUID>.dcm', /must be a relative path/);
    refused('<PatientID>//<SOPInstanceUID>.dcm', /an empty folder name/);
    refused('<PatientID>/', /ends with \//);
    refused('<PatientID>\\<SOPInstanceUID>.dcm', /use \/ between folders/);
    refused('<PatientID/<SOPInstanceUID>.dcm', /without its pair/);
    refused('PatientID>/x.dcm', /without its pair/);
    refused('  ', /it is empty/);
  });

  it('makes names every file system takes, the same way every time', () => {
    expect(safeName('a<b>c:d"e/f\\g|h?i*j')).toBe('a_b_c_d_e_f_g_h_i_j');
    expect(safeName('tab\there\u0001')).toBe('tab_here_');
    expect(safeName('CON')).toBe('_CON');
    expect(safeName('lpt1.dcm')).toBe('_lpt1.dcm');
    expect(safeName('ends with dots..')).toBe('ends with dots__');
    expect(safeName('..')).toBe('__');
    expect(safeName('   ')).toBe('unknown');
    expect(safeName('x'.repeat(300))).toHaveLength(120);
    // Decomposed and composed forms of the same name give the same file.
    expect(safeName('Mu\u0308ller')).toBe(safeName('M\u00fcller'));
    // A value cannot climb out of its folder.
    expect(
      renderTemplate(parseTemplate('<PatientID>/<SOPInstanceUID>.dcm'), {
        PatientID: '../..',
        SOPInstanceUID: 'a/b',
      }),
    ).toBe('_____/a_b.dcm');
  });
});
