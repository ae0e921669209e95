-- The last personal data kept in plain text.
--
-- A case's place (the quarantine address, or the central site: where the person is) and its
-- reason (where the person came from) are now sealed with the case's name, ID number and
-- phone. Cases written before are handed back to the sealing pass at start (enc_key NULL),
-- which seals them with the rest; the place and reason of a case whose personal data was
-- erased go with it.
UPDATE monitoring_cases SET place = '', reason = '' WHERE erased_on IS NOT NULL;
UPDATE monitoring_cases SET enc_key = NULL
WHERE enc_key IS NOT NULL AND (place NOT LIKE 'enc:%' OR reason NOT LIKE 'enc:%');

-- An alert keeps only where the person was referred; the name, temperature and symptoms are
-- composed from the (sealed) case and follow-up when the alert is shown.
UPDATE monitoring_alerts SET message = CASE
        WHEN instr(message, '已转诊至') > 0 THEN substr(message, instr(message, '已转诊至'))
        ELSE '已转诊至' || COALESCE((SELECT c.referral_clinic FROM monitoring_cases c
                                     WHERE c.id = monitoring_alerts.case_id), '发热门诊')
    END
WHERE message NOT LIKE '已转诊至%';

-- A ticket raised from a follow-up says what is needed and where the case is, not the
-- temperature and symptoms (tickets travel to departments and their channels). Only the
-- descriptions (and titles) the application wrote are rewritten; typed ones stay.
UPDATE tickets SET
    title = CASE WHEN title LIKE '%对象（第 % 号）%'
        THEN (SELECT CASE c.kind WHEN 'home' THEN '居家隔离' WHEN 'central' THEN '集中隔离'
                     ELSE '健康监测' END
                 || '对象（第 ' || c.id || ' 号）'
                 || CASE WHEN f.abnormal THEN '随访发现异常，需转运/就医' ELSE '随访情况需跟进' END
              FROM monitoring_followups f JOIN monitoring_cases c ON c.id = f.case_id
              WHERE f.id = tickets.source_id)
        ELSE title END,
    description = (SELECT CASE c.kind WHEN 'home' THEN '居家隔离' WHEN 'central' THEN '集中隔离'
                          ELSE '健康监测' END
                      || '对象（第 ' || c.id || ' 号）'
                      || CASE WHEN f.abnormal THEN '随访发现异常，需转运/就医' ELSE '随访情况需跟进' END
                      || '
' || '请卫健部门处置；对象情况见 /monitoring/cases/' || c.id
                      || '（辖区内有隔离监测查看权限者可打开）'
                   FROM monitoring_followups f JOIN monitoring_cases c ON c.id = f.case_id
                   WHERE f.id = tickets.source_id)
WHERE source_kind = 'followup' AND description LIKE '%随访%体温%需卫健部门处置'
  AND EXISTS (SELECT 1 FROM monitoring_followups f WHERE f.id = tickets.source_id);
