"""The staff diary table: metric and side-effect labels rather than keys, and the patient's
note, escaped like every other text (template autoescaping)."""

from ldntrial.web.clinic.queries import today_for


def test_the_diary_table_shows_labels_and_the_escaped_note(world):
    day = today_for(world.ana)
    world.diary(
        world.ana_trial,
        world.ana_user,
        day,
        side_effects=["vivid_dreams"],
        note="<script>alert(1)</script> dreams all week",
    )
    body = world.client("dr_ode").get(f"/clinic/trials/{world.ana_trial.pk}/").content.decode()
    table = body[body.index('id="diary"') :]
    assert "Pain 6, Sleep quality 5, Daily function 4" in table
    assert "Vivid dreams" in table
    assert "sleep_quality" not in table
    assert "vivid_dreams" not in table
    assert "&lt;script&gt;alert(1)&lt;/script&gt; dreams all week" in table
    assert "<script>alert(1)</script>" not in body
    assert 'id="latest-note"' in body
