"""Campaign tasks (专项任务): a district or a town launches a task over every household
of a scope; workers tick households off; completion shows per grid (seed 003)."""
from common.roles import CAMPAIGN_LAUNCHERS, FIELD_STAFF, STAFF_READERS
from gateway.routing import ACTOR, BODY, Call, Path, Query, Route, by_record, in_root, new_if_created
from gateway.schemas import campaigns as s
from gateway.schemas.base import page_of

TAG = "campaigns"
CAMPAIGN = Path("campaign_id")
HIDDEN = by_record(hidden=True, note="its scope meets the caller's (otherwise 404, as for a free id)")



ROUTES = [
    Route("POST", "/campaigns", "launch_campaign", "Launch a task over every household of a scope",
          CAMPAIGN_LAUNCHERS, Call("people.launch_campaign", data=BODY, actor=ACTOR), TAG,
          scope=by_record(note="`scope` in the caller's scope"), body=s.NewCampaign, response=s.CampaignWithProgress,
          status=201, errors=(404,),
          description="Seed 003's \"install the anti-fraud app\": the task covers the households that lie in the "
                      "scope, as they move in and out. A scope outside the caller's is 403 `OUT_OF_SCOPE`; a code "
                      "naming no grid 404 `GRID_NOT_FOUND`; a due date in the past 400 naming `due_date`."),
    Route("GET", "/campaigns", "list_campaigns", "Campaigns over, inside or above a subtree, newest first",
          STAFF_READERS, Call("people.list_campaigns", root=Query("root"), status=Query("status"),
                              limit=Query("limit"), after=Query("after"), actor=ACTOR), TAG,
          scope=in_root(), query=s.CampaignListQuery, response=page_of(s.Campaign),
          description="A worker sees the campaigns that cover their grid, launched by the town or the district. "
                      "Page on with `after` = `next`."),
    Route("GET", "/campaigns/{campaign_id}", "get_campaign", "One campaign with its completion per grid",
          STAFF_READERS, Call("people.get_campaign", campaign_id=CAMPAIGN, actor=ACTOR), TAG,
          path_schema=s.CampaignPath, scope=HIDDEN, response=s.CampaignWithProgress,
          description="Completion over the part of the campaign the caller reaches: all of it for a launcher, "
                      "their own grid for a worker."),
    Route("GET", "/campaigns/{campaign_id}/households", "campaign_households",
          "The campaign's households with their ticks, a page at a time", STAFF_READERS,
          Call("people.campaign_households", campaign_id=CAMPAIGN, status=Query("status"), after=Query("after"),
               limit=Query("limit"), actor=ACTOR), TAG,
          path_schema=s.CampaignPath, scope=HIDDEN, query=s.CampaignHouseholdsQuery,
          response=s.CampaignHouseholdPage,
          description="`status=pending` is a worker's list of what is left. In grid order; page on with `after`."),
    Route("POST", "/campaigns/{campaign_id}/ticks", "tick_campaign", "Tick a household off (200 if ticked already)",
          FIELD_STAFF, Call("people.tick_campaign", campaign_id=CAMPAIGN, data=BODY, actor=ACTOR), TAG,
          path_schema=s.CampaignPath, body=s.NewTick, response=s.Ticked, status=201, status_of=new_if_created,
          alternatives=((200, "Ticked already: the first tick"),), errors=(404, 409),
          scope=by_record(hidden=True, note="the campaign meets the caller's scope and the household lies in it"),
          description="A household outside the campaign's scope is 400 `HOUSEHOLD_NOT_IN_CAMPAIGN` naming "
                      "`household_id`; one outside the caller's scope 403 `OUT_OF_SCOPE`; a closed campaign 409 "
                      "`CAMPAIGN_CLOSED`. Nothing is stored then."),
    Route("POST", "/campaigns/{campaign_id}/close", "close_campaign", "Close a campaign: no more ticks",
          CAMPAIGN_LAUNCHERS, Call("people.close_campaign", campaign_id=CAMPAIGN, actor=ACTOR), TAG,
          path_schema=s.CampaignPath, response=s.Campaign, errors=(404, 409),
          scope=by_record(hidden=True, note="the campaign's whole scope in the caller's"),
          description="Closing it twice is 409 `CAMPAIGN_CLOSED`."),
]
