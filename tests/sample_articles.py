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

# (title, text) pairs written for the engine tests (in-process workers, Ray): entities, figures, people, a narrative's
# vocabulary, a Chinese article, and (the 11th) a wire copy of the first story.
HEADLINE_PAIRS = [
    ("Alibaba extends rally as AI spending plan grows", "Alibaba rose 8% on Friday after it raised its AI budget."),
    ("Baidu slips as chip export controls tighten", "Baidu fell 6% this week after new export controls on H20 chips."),
    ("阿里巴巴股价大涨", "阿里巴巴集团股价年初至今上涨95%，过去一个月上涨36%。"),
    ("Tencent lifts capex", "Tencent said capital spending rose 30% as it builds data centres for AI models."),
    ("Nvidia warns on China sales", "Nvidia said revenue from China could fall by $5 billion because of licences."),
    ("JD.com beats estimates", "JD.com reported quarterly revenue of 300 billion yuan, up 11% from a year earlier."),
    ("SMIC expands capacity", "SMIC plans to add 50,000 wafers a month of capacity, its chief executive said."),
    ("Meituan shares drop", "Meituan fell 4% in Hong Kong as competition in food delivery intensified."),
    ("Huawei unveils new AI chip", "Huawei said its Ascend chips will ship next quarter, CEO Eric Xu told reporters."),
    ("Apple cuts iPhone prices in China", "Apple cut prices by up to 500 yuan as sales in China slowed in May."),
    ("Alibaba extends rally as AI spending plan grows", "Alibaba rose 8% on Friday after it raised its AI budget."),
    ("Xiaomi raises EV delivery target", "Xiaomi now expects to deliver 350,000 cars this year, Lei Jun said."),
]
