"""Three small articles (English and Chinese; a rally, a sell-off on export controls, a Chinese headline) that the
enrich/query tests import into a store, on SQLite and on PostgreSQL alike."""

ARTICLES = [
    {
        "url": "https://n.example.test/1",
        "title": "Alibaba extends rally as AI spending plan grows",
        "published": "2025-09-19T22:00:00+00:00",
        "text": "Alibaba Group Holding Limited (BABA) rose 8% on Friday and is up 95% year-to-date. "
        "Winnie Wu, chief China equity strategist at Bank of America, said China is easing its "
        "AI computing power bottleneck.",
    },
    {
        "url": "https://n.example.test/2",
        "title": "Baidu slips as chip export controls tighten",
        "published": "2025-04-16T01:00:00+00:00",
        "text": "Baidu fell 6% in the past week after new export controls on Nvidia's H20 chips.",
    },
    {
        "url": "https://n.example.test/3",
        "title": "阿里巴巴股价大涨",
        "published": "2025-09-20T01:00:00+00:00",
        "text": "阿里巴巴集团股价年初至今上涨95%，过去一个月上涨36%。",
    },
]
